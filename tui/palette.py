"""The command palette: every action of the main screen by name (mutating ones left
out when read-only), then the app's own entries (settings, tenants, profiles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.command import Hit, Hits, Provider

from tui import switching
from tui.api.errors import ApiError
from tui.api.queries import SavedFilter
from tui.widgets.glyphs import glyph
from tui.widgets.safe import clean

# A deployment search starts at this many characters, and lists this many.
MIN_SEARCH = 2
FOUND = 8

if TYPE_CHECKING:
    from tui.app import CfyTuiApp


class ActionsProvider(Provider):
    async def search(self, query: str) -> Hits:
        app: CfyTuiApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for name, help_text, callback in [*app.main_screen.command_actions(), *commands(app)]:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class DeploymentsProvider(Provider):
    """`dep-01234` typed in the palette: the deployments whose id holds it, asked of
    the manager (`_search`), not only those of the page on screen; and the filters
    saved on the manager, read once when the palette opens."""

    saved: list[SavedFilter] = []

    async def startup(self) -> None:
        app: CfyTuiApp = self.app  # type: ignore[assignment]
        try:
            self.saved = await app.client.list_deployment_filters()
        except ApiError:
            self.saved = []  # an older manager, or no permission: no entries

    async def search(self, query: str) -> Hits:
        app: CfyTuiApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for saved in self.saved:
            name = f"Filter deployments: {clean(saved.id, limit=80)}"
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    lambda text=f"filter:{saved.id}": app.main_screen.apply_filter(text),
                    help=clean(saved.described(), limit=120)
                    + (" (the manager's own)" if saved.system else ""),
                )
        async for hit in self._deployments(app, query):
            yield hit

    async def _deployments(self, app: CfyTuiApp, query: str) -> Hits:
        text = query.strip()
        if len(text) < MIN_SEARCH:
            return
        try:
            page = await app.client.list_deployments(
                search=text, size=FOUND, include=("id", "display_name")
            )
        except ApiError:
            return  # the palette is no place for a connection error; the status line says
        matcher = self.matcher(text)
        for deployment in page.items:
            name = f"Go to deployment {clean(deployment.id, limit=80)}"
            shown = clean(deployment.display_name, limit=80)
            yield Hit(
                max(matcher.match(deployment.id), 0.1),
                name,
                lambda dep=deployment.id: app.main_screen.show_deployment(dep),
                help=shown if shown != deployment.id else "filter the list to it",
            )


def commands(app: CfyTuiApp) -> list[tuple[str, str, Any]]:
    """The palette's app-wide entries: settings, tenants, profiles."""
    entries: list[tuple[str, str, Any]] = [
        ("Settings", "Each effective setting and where it came from", app.action_show_settings),
    ]
    if app.connections is None:
        return entries
    entries.append(
        (
            f"Switch tenant{glyph('more', app.ascii_only)}",
            "Connect to another tenant of this manager",
            app.action_switch_tenant,
        )
    )
    for profile in app.connections.profiles():
        entries.append(
            (
                f"Switch to profile {profile.name}",
                f"{profile.kind} profile: {clean(profile.manager or '?', limit=80)}",
                lambda name=profile.name: switching.switch_profile(app, name),
            )
        )
    return entries
