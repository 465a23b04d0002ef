"""The deployment details (`d`) and node instances (`n`) screens on the embedded
manager: what they show, what they hide, the keys that start a workflow on one
instance (checked on the wire), and the instances an execution touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.hardening.conftest import LoggedManager, wire_manager
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import http, screen_name, select_deployment
from tui.api.models import Execution
from tui.app import CfyTuiApp
from tui.screens.deployment import DeploymentScreen
from tui.screens.instances import NodeInstancesScreen


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[LoggedManager]:
    with wire_manager(tmp_path / "manager") as proc:
        yield proc


def text_of(app: CfyTuiApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_details(pilot: Pilot[Any], app: CfyTuiApp, dep: str) -> DeploymentScreen:
    await select_deployment(pilot, app, dep)
    await pilot.press("d")
    await wait_until(pilot, lambda: screen_name(app) == "DeploymentScreen", what="details")
    screen = app.screen
    assert isinstance(screen, DeploymentScreen)
    await wait_until(pilot, lambda: screen.details is not None, what="the details read")
    return screen


async def open_instances(pilot: Pilot[Any], app: CfyTuiApp, dep: str) -> NodeInstancesScreen:
    await select_deployment(pilot, app, dep)
    await pilot.press("n")
    await wait_until(pilot, lambda: screen_name(app) == "NodeInstancesScreen", what="instances")
    screen = app.screen
    assert isinstance(screen, NodeInstancesScreen)
    await wait_until(pilot, lambda: screen.table.row_count > 0, what="the instances read")
    return screen


async def test_details_of_a_half_installed_deployment(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_details(pilot, app, "web-canary")
        overview = text_of(app, "#details-overview")
        assert "Name          Web shop (canary)" in overview
        assert "Labels        env=canary  region=eu-west  team=web" in overview
        # The failed install left the application creating: not progress, no run.
        assert "✓ 2 started" in overview and "◐ 1 creating (stalled)" in overview
        with http(wire) as client:
            outputs = client.get("/deployments/web-canary/outputs").json()["outputs"]
        shown = text_of(app, "#details-outputs")
        for name, value in outputs.items():
            assert f"{name}: {value}" in shown
        assert "url: " in text_of(app, "#details-capabilities")


async def test_a_value_from_a_secret_is_never_shown(wire: LoggedManager) -> None:
    with http(wire) as client:
        put = client.put("/secrets/db_port", json={"value": "5433"})
        assert put.status_code in (200, 201), put.text
        created = client.put(
            "/deployments/db-secret",
            json={"blueprint_id": "database", "inputs": {"port": {"get_secret": "db_port"}}},
        )
        assert created.status_code == 201, created.text
        evaluated = client.get("/deployments/db-secret/capabilities").json()["capabilities"]
    assert "5433" in str(evaluated)  # the manager gives it away; the screen must not
    app = make_app(wire)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_details(pilot, app, "db-secret")
        every = "\n".join(
            text_of(app, f"#details-{s}") for s in ("overview", "inputs", "outputs", "capabilities")
        )
        assert "5433" not in every
        assert '"get_secret": "db_port"' in text_of(app, "#details-inputs")
        assert "port: •••••••• (hidden: from secret db_port)" in text_of(
            app, "#details-capabilities"
        )
        assert screen.details is not None


async def test_heal_and_execute_operation_start_on_the_instance(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_instances(pilot, app, "web-canary")
        stuck = next(i for i in screen.instances.items if i.state == "creating")
        assert screen.table.select_key(stuck.id)
        assert "(stalled)" in screen.table.get_cell(stuck.id, "state").plain
        await pilot.press("o")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="the form")
        document = app.screen.query_one("#start-params").text  # type: ignore[attr-defined]
        assert f"node_instance_ids: [{stuck.id}]" in document
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "NodeInstancesScreen", what="back")
        mark = wire.mark()
        await pilot.press("h")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="the form")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: any(r["method"] == "POST" for r in wire.requests_since(mark)),
            what="the start",
        )
        posts = [r for r in wire.requests_since(mark) if r["method"] == "POST"]
        assert posts[0]["path"] == "/api/v3.1/executions"
        assert posts[0]["body"]["workflow_id"] == "heal"
        assert posts[0]["body"]["deployment_id"] == "web-canary"
        assert posts[0]["body"]["parameters"]["node_instance_id"] == stuck.id


async def test_from_an_execution_the_instances_it_touched_failed_first(
    wire: LoggedManager,
) -> None:
    with http(wire) as client:
        failed = client.get(
            "/executions", params={"deployment_id": "web-canary", "workflow_id": "install"}
        ).json()["items"][0]
    assert failed["status"] == "failed"
    app = make_app(wire)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_deployment(pilot, app, "web-canary")
        execution = Execution.from_json(failed)
        assert execution is not None
        app.open_execution(execution)
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="the run")
        await wait_until(pilot, lambda: app.screen.state.finished, what="its events")  # type: ignore[attr-defined]
        await pilot.press("n")
        await wait_until(pilot, lambda: screen_name(app) == "NodeInstancesScreen", what="instances")
        screen = app.screen
        assert isinstance(screen, NodeInstancesScreen)
        await wait_until(pilot, lambda: screen.table.row_count >= 3, what="the touched ones")
        first = screen.table.keys[0]
        assert first.startswith("app_")
        assert screen.table.selected_key == first
        assert screen.table.get_cell(first, "run").plain == "✗ failed in create"
        status = text_of(app, "#instances-status")
        assert "3 instances touched, 1 failed" in status
        # `e`: back to the run, its events filtered to that instance.
        await pilot.press("e")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="the run")
        assert app.screen.needle == first  # type: ignore[attr-defined]
