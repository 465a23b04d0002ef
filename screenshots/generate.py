"""Regenerate `screenshots/*.svg` from the real app on the embedded manager.

    python screenshots/generate.py

The manager runs with the demo seed, a frozen clock and sequential ids, so the
pictures only change when the UI does.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402
from tests.ui.conftest import FROZEN, FROZEN_ISO  # noqa: E402
from tests.ui.helpers import (  # noqa: E402
    cell,
    focus_execution,
    mark,
    open_preflight,
    select_deployment,
    start_via_http,
    start_workflow,
    table,
    wait_until,
)
from tui.app import CfyTuiApp  # noqa: E402
from tui.config import resolve  # noqa: E402
from tui.connections import Connections  # noqa: E402
from tui.screens.confirm import ConfirmScreen  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZE = (140, 38)
# The demo deployment whose install failed half-way (tui/manager/seed.py).
HALF_INSTALLED = "web-canary"
Scene = Callable[[Any, CfyTuiApp, ManagerProcess], Awaitable[None]]


def free_port(preferred: int = 8100) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return 0


async def main_screen(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await select_deployment(pilot, app, "web-prod")


async def start_form(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await start_workflow(pilot, app, "web-prod", "rolling_restart")


async def running_reindex(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> dict:
    """A long execution, shown as running in every pane before the picture."""
    running = start_via_http(manager, "analytics", "reindex")
    await wait_until(pilot, lambda: table(app, "deployments").row_count, what="rows")

    def in_progress() -> bool:
        app.refresh_now()
        return "in progress" in cell(app, "deployments", "analytics", "status")

    await wait_until(pilot, in_progress, what="analytics in progress")
    return running


async def conflict_dialog(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await running_reindex(pilot, app, manager)
    await start_workflow(pilot, app, "analytics", "check_status")
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="dialog")


async def cancel_dialog(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    running = await running_reindex(pilot, app, manager)
    await focus_execution(pilot, app, "analytics", running["id"])
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="dialog")


async def execution_screen(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await select_deployment(pilot, app, "db-main")
    executions = table(app, "executions")
    backup = next(e.id for e in app.poller.snapshot.executions if e.workflow_id == "backup")
    executions.focus()
    executions.select_key(backup)
    await pilot.press("enter")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "ExecutionScreen", what="tail")
    await wait_until(pilot, lambda: app.screen.state.finished, what="the tail to end")
    await pilot.press("t")


async def settings_view(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await select_deployment(pilot, app, "web-prod")
    await pilot.press("comma")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "SettingsScreen", what="view")


async def details_view(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await select_deployment(pilot, app, "web-prod")
    await pilot.press("d")
    await wait_until(
        pilot,
        lambda: type(app.screen).__name__ == "DeploymentScreen" and app.screen.details,
        what="the details",
    )


async def instances_view(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await select_deployment(pilot, app, HALF_INSTALLED)
    await pilot.press("n")
    await wait_until(
        pilot,
        lambda: type(app.screen).__name__ == "NodeInstancesScreen" and app.screen.table.row_count,
        what="the instances",
    )


async def fleet_view(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    await running_reindex(pilot, app, manager)
    start_via_http(manager, "web-staging", "check_status")
    await pilot.press("x")
    await wait_until(
        pilot,
        lambda: type(app.screen).__name__ == "FleetScreen" and app.screen.table.row_count >= 2,
        what="the running executions",
    )


async def group_preflight(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    """Four deployments marked, one busy and one without the workflow: the preflight of
    rolling_restart at concurrency 2."""
    start_via_http(manager, "web-prod", "rolling_restart")
    await select_deployment(pilot, app, "db-main")
    await mark(pilot, app, ["db-main", "web-canary", "web-prod", "web-staging"])
    await open_preflight(pilot, app, "rolling_restart", concurrency=2)


async def group_run(pilot: Any, app: CfyTuiApp, manager: ManagerProcess) -> None:
    """The same group run started: one member running, the others waiting."""
    await group_preflight(pilot, app, manager)
    await pilot.press("ctrl+s")

    def running() -> bool:
        screen = app.screen
        progress = getattr(screen, "progress", None)
        if progress is not None and any(m.status == "started" for m in progress.members):
            return True
        if not getattr(screen, "_reading", True):
            screen.action_refresh()  # the clock is frozen: timed reads never come due
        return False

    await wait_until(pilot, running, what="the group running")


SCENES: dict[str, Scene] = {
    "main": main_screen,
    "start-form": start_form,
    "conflict-dialog": conflict_dialog,
    "cancel-dialog": cancel_dialog,
    "execution": execution_screen,
    "settings": settings_view,
    "details": details_view,
    "instances": instances_view,
    "fleet": fleet_view,
    "group-preflight": group_preflight,
    "group-run": group_run,
}


async def shoot(name: str, scene: Scene) -> None:
    data = Path(tempfile.mkdtemp(prefix="cfy-tui-shots-"))
    manager = ManagerProcess(
        data=data,
        speed=1.0,
        port=free_port(),
        extra_args=["--frozen-time", FROZEN_ISO, "--sequential-ids"],
    ).start()
    try:
        resolved = resolve(
            {"manager": manager.url, "username": "admin"},
            {"CLOUDIFY_PASSWORD": PASSWORDS["admin"]},
            # stable, absent paths: the pictures must not depend on this machine
            config_path=Path("/home/operator/.config/cfy-tui/config.yaml"),
            cfy_home=Path("/home/operator/.cloudify"),
        )
        connections = Connections(resolved, switchable_profiles=False)
        connection = connections.connect()
        app = CfyTuiApp(
            connection.client,
            connection.identity,
            clock=lambda: FROZEN,
            fast_interval=0.2,
            slow_interval=0.5,
            settings_rows=resolved.rows(),
            connections=connections,
        )
        async with app.run_test(size=SIZE) as pilot:
            await scene(pilot, app, manager)
            await pilot.pause(0.3)
            svg = app.export_screenshot(title=f"cfy-tui — {name.replace('-', ' ')}")
        (OUT / f"{name}.svg").write_text(svg, encoding="utf-8")
        print(f"wrote screenshots/{name}.svg")
    finally:
        manager.stop()


def run() -> int:
    time.tzset()
    for name, scene in SCENES.items():
        asyncio.run(shoot(name, scene))
    return 0


if __name__ == "__main__":
    os.environ["TZ"] = "UTC"
    sys.exit(run())
