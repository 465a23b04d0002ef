"""Switching tenant and profile inside the app: the old tenant's data is cleared,
never mixed with the new one's; the settings view shows where each value came from."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import OptionList

from tests.manager_process import PASSWORDS, ManagerProcess
from tests.ui.conftest import wait_until
from tests.ui.helpers import main, palette_would_run, screen_name, select_deployment, table
from tui.app import CfyTuiApp
from tui.config import default_config_path, resolve
from tui.connections import Connections
from tui.screens.tenant_picker import TenantPickerScreen


def connected_app(
    manager: ManagerProcess, user: str = "admin", tenant: str | None = None
) -> CfyTuiApp:
    given = {"manager": manager.url, "username": user}
    if tenant is not None:
        given["tenant"] = tenant
    resolved = resolve(given, {"CLOUDIFY_PASSWORD": PASSWORDS[user], **os.environ})
    connections = Connections(resolved)
    connection = connections.connect()
    return CfyTuiApp(
        connection.client,
        connection.identity,
        connections=connections,
        settings_rows=resolved.rows(),
        fast_interval=0.2,
        slow_interval=0.5,
    )


def picker_ready(app: CfyTuiApp) -> bool:
    """The tenant picker is up and composed (its input exists)."""
    return screen_name(app) == "TenantPickerScreen" and bool(app.screen.query("#prompt"))


async def test_tenant_switch_clears_the_old_data(manager: ManagerProcess) -> None:
    app = connected_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        executions = table(app, "executions")
        executions.focus()
        executions.move_cursor(row=0)
        await pilot.press("m")
        assert app.watch_list.pinned
        app.action_switch_tenant()
        await wait_until(pilot, lambda: picker_ready(app), what="picker")
        # The manager's tenants for this user, the current one highlighted.
        options = app.screen.query_one("#tenant-list", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [
            "default_tenant",
            "team-eu",
        ]
        assert options.highlighted == 0
        await pilot.press("down", "enter")
        deployments = table(app, "deployments")
        await wait_until(
            pilot,
            lambda: set(deployments.keys) == {"web-eu", "db-eu"},
            what="team-eu's deployments",
        )
        snapshot = main(app).snapshot
        assert {d.id for d in snapshot.deployments} == {"web-eu", "db-eu"}
        assert all(e.deployment_id in {"web-eu", "db-eu"} for e in snapshot.executions)
        assert not app.watch_list.pinned and not snapshot.watched
        assert "tenant team-eu" in str(main(app).query_one("#status-line").render())
        assert app.client.tenant == "team-eu"


async def test_a_refused_tenant_offers_the_tenants_of_the_user(manager: ManagerProcess) -> None:
    """operator is a member of default_tenant only: team-eu is refused (403), polling
    stops, and the picker lists what the manager lists for operator."""
    app = connected_app(manager, user="operator", tenant="team-eu")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: picker_ready(app), what="the tenant picker", timeout=20)
        # The picker opens on the poller's word; the main screen shows it as its
        # snapshot message arrives.
        await wait_until(
            pilot,
            lambda: main(app).snapshot.connection.refused == "tenant",
            what="the main screen's refused state",
        )
        options = app.screen.query_one("#tenant-list", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [
            "default_tenant"
        ]
        await pilot.press("enter")
        deployments = table(app, "deployments")
        await wait_until(
            pilot, lambda: "web-prod" in set(deployments.keys), what="default_tenant's data"
        )
        assert app.client.tenant == "default_tenant"
        assert main(app).snapshot.connection.refused == ""


async def test_a_typed_tenant_when_the_manager_lists_none(manager: ManagerProcess) -> None:
    """The picker without a list (the manager refused `GET /tenants`) says why and
    takes a typed name."""
    app = connected_app(manager)
    picked: list[str | None] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        app.push_screen(
            TenantPickerScreen([], "default_tenant", why_no_list="403: not permitted"),
            picked.append,
        )
        await wait_until(pilot, lambda: picker_ready(app), what="picker")
        assert not app.screen.query("#tenant-list")
        said = " ".join(str(s.render()) for s in app.screen.query(".dialog-line"))
        assert "did not list tenants (403: not permitted)" in said
        await pilot.press(*"team-eu", "enter")
        await wait_until(pilot, lambda: picked == ["team-eu"], what="the typed tenant")


async def test_profile_switch_from_the_palette(manager: ManagerProcess) -> None:
    config = default_config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "profiles:\n"
        f"  eu:\n    manager: {manager.url}\n    tenant: team-eu\n    username: viewer\n"
        f"    password: {PASSWORDS['viewer']}\n    read_only: true\n"
    )
    config.chmod(0o600)
    app = connected_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: screen_name(app) == "CommandPalette", what="palette")
        await pilot.press(*"profile eu")
        await wait_until(
            pilot,
            lambda: palette_would_run(app, "Switch to profile eu"),
            what="the palette's answer",
        )
        await pilot.press("enter")
        deployments = table(app, "deployments")
        await wait_until(
            pilot,
            lambda: set(deployments.keys) == {"web-eu", "db-eu"},
            what="the eu profile's deployments",
        )
        assert app.identity.user == "viewer" and app.read_only
        rows = {name: (value, source) for name, value, source in app.settings_rows}
        assert rows["tenant"][0] == "team-eu"
        assert rows["password"][0] == "********"
        await pilot.press("comma")
        screen = await wait_until(
            pilot,
            lambda: screen_name(app) == "SettingsScreen" and app.screen,
            what="the settings view",
        )
        assert PASSWORDS["viewer"] not in str(list(screen.query("*")))


def test_config_path_is_isolated() -> None:
    # the autouse fixture points XDG_CONFIG_HOME at a temporary directory
    assert not str(default_config_path()).startswith(str(Path.home() / ".config"))
