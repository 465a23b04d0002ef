"""Connecting again: new credentials after a refusal, another tenant, another cfy
profile. Each is one flow the app runs in its own worker (the connection is the
app's), awaiting its dialog and then handing the app a new connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.api.errors import ApiError
from tui.config import ConfigError
from tui.connections import NeedsPassword
from tui.messages import CredentialsChanged
from tui.screens.prompt import PromptScreen
from tui.screens.tenant_picker import TenantPickerScreen
from tui.widgets.safe import clean

if TYPE_CHECKING:
    from tui.app import CfyTuiApp


def report_host_change(app: CfyTuiApp) -> None:
    """A toast when another host of the cluster answers: the one in use was down."""
    now = app.client.url
    if now == app.host_seen:
        return
    before, app.host_seen = app.host_seen, now
    app.notify(
        f"{clean(before, limit=80)} could not be reached: now using {clean(now, limit=80)}.",
        title="Cluster",
        severity="warning",
    )


def refused(app: CfyTuiApp, kind: str, error: str) -> None:
    """Polling has stopped (nothing is retried: a real manager locks accounts after a
    few refused logins). Say so, and ask for what would work."""
    who = app.identity.user or "the token"
    if kind == "tenant":
        app.notify(
            f"The manager refused tenant {app.identity.tenant} for {who} ({error}). "
            "Updates stopped; nothing is retried.",
            title="Tenant refused",
            severity="error",
            timeout=20,
        )
        if app.connections is not None:
            switch_tenant(app)
        return
    app.notify(
        f"The manager refused the credentials of {who} ({error}). Updates stopped; "
        "nothing is retried until you give the current ones (r asks again).",
        title="Credentials refused",
        severity="error",
        timeout=20,
    )
    ask_credentials(app)


def ask_credentials(app: CfyTuiApp) -> None:
    """A dialog for the current password (or token); the data comes back without a
    restart, and open execution screens follow again with the new credentials."""
    if any(isinstance(s, PromptScreen) for s in app.screen_stack):
        return
    app.run_worker(_ask_credentials(app), group="credentials", exclusive=True)


async def _ask_credentials(app: CfyTuiApp) -> None:
    token = not app.identity.user
    question = (
        "New API token"
        if token
        else f"Current password of {clean(app.identity.user, limit=60)} at "
        f"{clean(app.identity.url, limit=80)}"
    )
    value = await app.push_screen_wait(PromptScreen(question, password=True))
    if not value:
        return
    if token:
        app.client.set_credentials(token=value)
    else:
        app.client.set_credentials(password=value)
    app.poller.credentials_changed()
    for screen in app.screen_stack:
        screen.post_message(CredentialsChanged())


def switch_tenant(app: CfyTuiApp) -> None:
    """Offer the tenants the manager lists for this user (asked first, off the UI
    thread), or a typed name when it lists none."""
    if app.connections is None:
        return
    if any(isinstance(s, TenantPickerScreen) for s in app.screen_stack):
        return
    app.run_worker(_pick_tenant(app), group="tenant-picker", exclusive=True)


async def _pick_tenant(app: CfyTuiApp) -> None:
    connections = app.connections
    if connections is None:
        return
    why: str | None = None
    try:
        tenants = await app.client.list_tenants()
    except ApiError as exc:
        tenants, why = [], clean(exc, limit=120)
    picker = TenantPickerScreen(tenants, app.identity.tenant, why_no_list=why)
    tenant = await app.push_screen_wait(picker)
    if tenant and tenant != app.identity.tenant:
        app.reconnect(connections.for_tenant(tenant))


def switch_profile(app: CfyTuiApp, name: str) -> None:
    app.run_worker(_switch_profile(app, name), group="profile", exclusive=True)


async def _switch_profile(app: CfyTuiApp, name: str) -> None:
    """The profile's connection; its password asked for when the profile has none."""
    connections = app.connections
    if connections is None:
        return
    password: str | None = None
    while True:
        try:
            connection = connections.for_profile(name, password)
        except NeedsPassword as need:
            password = await app.push_screen_wait(
                PromptScreen(
                    f"Password of {clean(need.username, limit=60)} for profile "
                    f"{clean(name, limit=60)}",
                    password=True,
                )
            )
            if not password:
                return
            continue
        except ConfigError as error:
            app.notify(
                clean(str(error), limit=600),
                title="Cannot switch profile",
                severity="error",
                timeout=12,
            )
            return
        app.reconnect(connection)
        return
