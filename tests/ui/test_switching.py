"""Switching tenant and profile inside the app: the old tenant's data is cleared,
never mixed with the new one's; the settings view shows where each value came from."""

from __future__ import annotations

import os
from pathlib import Path

from tests.manager_process import PASSWORDS, ManagerProcess
from tests.ui.conftest import wait_until
from tests.ui.helpers import main, screen_name, select_deployment, table
from tui.app import CfyTuiApp
from tui.config import default_config_path, resolve
from tui.connections import Connections


def connected_app(manager: ManagerProcess) -> CfyTuiApp:
    resolved = resolve(
        {"manager": manager.url, "username": "admin"},
        {"CLOUDIFY_PASSWORD": PASSWORDS["admin"], **os.environ},
    )
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


async def test_tenant_switch_clears_the_old_data(manager: ManagerProcess) -> None:
    app = connected_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        executions = table(app, "executions")
        executions.focus()
        executions.move_cursor(row=0)
        await pilot.press("m")
        assert app.pinned
        app.action_switch_tenant()
        await wait_until(pilot, lambda: screen_name(app) == "PromptScreen", what="prompt")
        await pilot.press(*"team-eu", "enter")
        deployments = table(app, "deployments")
        await wait_until(
            pilot,
            lambda: set(deployments.keys) == {"web-eu", "db-eu"},
            what="team-eu's deployments",
        )
        snapshot = main(app).snapshot
        assert {d.id for d in snapshot.deployments} == {"web-eu", "db-eu"}
        assert all(e.deployment_id in {"web-eu", "db-eu"} for e in snapshot.executions)
        assert not app.pinned and not snapshot.watched
        assert "tenant team-eu" in str(main(app).query_one("#status-line").render())
        assert app.client.tenant == "team-eu"


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
        await pilot.pause(0.3)
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
