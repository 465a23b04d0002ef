"""Group runs, driven like an operator on the embedded manager: marks kept across
pages and filters, marking all that a filter matches, the form and the preflight
(queued and refused rows), the run followed to its end with failures, and the
group's cancel and resume, each request read from the manager's own log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from tests.hardening.conftest import LoggedManager
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import (
    captured_notes,
    choose,
    http,
    main,
    mark,
    open_preflight,
    ready,
    screen_name,
    table,
)
from tui.actions.preflight import Verdict
from tui.app import CfyTuiApp
from tui.screens.group import GroupScreen
from tui.screens.group_runs import GroupRunsScreen

# Two blueprints declaring the same custom workflow: it completes on one, fails on the
# other (its second step), so a group run over both ends with some failures.
STEADY = """\
tosca_definitions_version: cloudify_dsl_1_4
imports:
  - cloudify/types/types.yaml
node_templates:
  app:
    type: cloudify.nodes.Root
workflows:
  upgrade:
    mapping: demo_plugin.workflows.upgrade
    parameters:
      version:
        type: string
        description: The version to upgrade to.
simulation:
  workflows:
    upgrade:
      operation: demo.upgrade.run
      nodes: [app]
      steps: 2
      duration: 1
"""
FLAKY = (
    STEADY
    + """\
      fail: "upgrade failed: the new version did not answer its health check"
      fail_at: 1
"""
)
# The group's deployments, by blueprint.
FLEET = {"shop-1": "steady", "shop-2": "flaky", "shop-3": "steady", "shop-4": "flaky"}


def logged_manager(tmp_path: Path, *, speed: float, seed: str = "demo") -> LoggedManager:
    blueprints = tmp_path / "blueprints"
    blueprints.mkdir(exist_ok=True)
    (blueprints / "steady.yaml").write_text(STEADY)
    (blueprints / "flaky.yaml").write_text(FLAKY)
    proc = LoggedManager(data=tmp_path / "manager", speed=speed, seed=seed)
    proc.extra_args = [
        "--request-log",
        str(proc.log_path),
        "--request-log-bodies",
        "--blueprints",
        str(blueprints),
    ]
    return proc


def make_fleet(manager: LoggedManager) -> None:
    with http(manager) as client:
        for dep_id, blueprint in FLEET.items():
            created = client.put(f"/deployments/{dep_id}", json={"blueprint_id": blueprint})
            assert created.status_code == 201, created.text
        for _ in range(200):  # their environments are created by a workflow
            page = client.get(
                "/executions",
                params={"workflow_id": "create_deployment_environment", "_include": "status"},
            ).json()
            if all(e["status"] == "terminated" for e in page["items"]):
                return
            time.sleep(0.05)
        raise AssertionError("deployment environments were not created")


@pytest.fixture
def fast(tmp_path: Path) -> Iterator[LoggedManager]:
    proc = logged_manager(tmp_path, speed=50.0).start()
    make_fleet(proc)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[LoggedManager]:
    """Everything started stays running for the whole test (a hundredth of real speed)."""
    proc = logged_manager(tmp_path, speed=0.01).start()
    try:
        yield proc
    finally:
        proc.stop()


def group_screen(app: CfyTuiApp) -> GroupScreen:
    assert isinstance(app.screen, GroupScreen), screen_name(app)
    return app.screen


async def test_marks_are_kept_across_pages_and_filters_and_mark_all_reads_the_manager(
    tmp_path: Path,
) -> None:
    proc = logged_manager(tmp_path, speed=50.0, seed="scale:300").start()
    try:
        app = make_app(proc)
        async with app.run_test(size=(120, 36)) as pilot:
            app.poller.deployments_page = 50
            await ready(pilot, app)
            screen = main(app)
            await mark(pilot, app, ["dep-00000", "dep-00001"])
            assert table(app, "deployments").selected_key == "dep-00002"  # space moves down
            # Another page: the marks stay, and the title counts them.
            await pilot.press("G")
            await wait_until(
                pilot, lambda: screen.snapshot.deployments_offset == 250, what="the last page"
            )
            assert len(screen.marks) == 2
            pane = screen.query_one("#deployments-pane")
            assert "2 marked" in str(pane.border_subtitle)
            # Mark all that a label filter matches: every page of it, from the manager.
            await pilot.press("slash")
            await pilot.press(*"env=prod team=web")
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.snapshot.search == "env=prod team=web")
            mark_at = proc.mark()
            await pilot.press("asterisk")
            with http(proc) as client:
                matching = client.post(
                    "/searches/deployments",
                    params={"_include": "id", "_size": "1000"},
                    json={
                        "filter_rules": [
                            {
                                "key": "env",
                                "values": ["prod"],
                                "operator": "any_of",
                                "type": "label",
                            },
                            {
                                "key": "team",
                                "values": ["web"],
                                "operator": "any_of",
                                "type": "label",
                            },
                        ]
                    },
                ).json()
            expected = {d["id"] for d in matching["items"]}
            assert len(expected) > 2
            everything = expected | {"dep-00000", "dep-00001"}
            await wait_until(pilot, lambda: len(screen.marks) == len(everything), what="marks")
            assert set(screen.marks.ids) == everything
            searches = [
                r
                for r in proc.requests_since(mark_at)
                if r["path"].endswith("/searches/deployments")
            ]
            assert searches and all("_include=id" in (r.get("query") or "") for r in searches)
            # Clearing the filter keeps the marks; `-` clears them.
            await pilot.press("escape")
            await wait_until(pilot, lambda: screen.snapshot.search == "", what="no filter")
            assert set(screen.marks.ids) == everything
            marked_row = table(app, "deployments").get_cell("dep-00000", "id").plain
            assert marked_row.startswith("◆ ")
            await pilot.press("minus")
            assert len(screen.marks) == 0
            assert "marked" not in str(pane.border_subtitle)
    finally:
        proc.stop()


async def test_preflight_names_queued_and_refused_rows_and_the_start_sends_exactly_them(
    slow: LoggedManager,
) -> None:
    with http(slow) as client:
        busy = client.post(
            "/executions", json={"deployment_id": "web-prod", "workflow_id": "rolling_restart"}
        ).json()
    app = make_app(slow)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(
            pilot, lambda: main(app).snapshot.active_for("web-prod") is not None, what="busy"
        )
        await mark(pilot, app, ["web-prod", "web-staging", "web-canary", "db-main"])
        preflight = await open_preflight(pilot, app, "rolling_restart")
        rows = {r.deployment_id: r for r in preflight.plan.rows}
        assert rows["web-prod"].verdict == Verdict.QUEUE
        assert busy["id"][:8] in rows["web-prod"].reason
        assert rows["web-staging"].verdict == Verdict.NOW
        assert rows["web-canary"].verdict == Verdict.NOW
        assert rows["db-main"].verdict == Verdict.REFUSED
        assert "does not declare rolling_restart" in rows["db-main"].reason
        question = str(preflight.query_one("#preflight-question").render())
        assert "3 deployments" in question and "2 now" in question and "1 queue" in question
        assert "1 refused" in question
        # The refused row sorts first and cannot be taken back in.
        assert preflight.query_one("#preflight-table").keys[0] == "db-main"
        mark_at = slow.mark()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "GroupScreen", what="group screen")
        requests = slow.sent_since(mark_at)
        assert [(r["method"], r["path"]) for r in requests] == [
            ("PUT", f"/api/v3.1/deployment-groups/{requests[0]['path'].rsplit('/', 1)[1]}"),
            ("POST", "/api/v3.1/execution-groups"),
        ]
        name = requests[0]["path"].rsplit("/", 1)[1]
        assert name.startswith("cfy-tui-rolling_restart-")
        assert requests[0]["body"] == {
            "deployment_ids": ["web-prod", "web-staging", "web-canary"],
            "description": "cfy-tui: rolling_restart on 3 deployments",
        }
        assert requests[1]["body"] == {
            "deployment_group_id": name,
            "workflow_id": "rolling_restart",
            "default_parameters": {"batch_size": 1, "drain_timeout": 30},
            "concurrency": 5,
            "force": False,
        }
        screen = group_screen(app)
        await wait_until(pilot, lambda: screen.progress is not None, what="the group")
        assert screen.progress is not None
        statuses = {m.deployment_id: m.status for m in screen.progress.members}
        assert statuses["web-prod"] == "queued"
        assert set(statuses) == {"web-prod", "web-staging", "web-canary"}


async def test_a_group_run_to_its_end_with_failures(fast: LoggedManager) -> None:
    app = make_app(fast)
    notes = captured_notes(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await mark(pilot, app, list(FLEET))
        preflight = await open_preflight(pilot, app, "upgrade")
        # `version` is mandatory: the form's YAML has none, so every row is refused.
        assert preflight.plan.counts[Verdict.REFUSED] == 4
        assert not preflight.plan.members
        await pilot.press("escape")  # back to the form, what was typed kept
        await wait_until(pilot, lambda: screen_name(app) == "GroupStartScreen", what="form")
        app.screen.query_one("#group-params", TextArea).load_text("version: 2.0.1\n")
        app.screen.query_one("#group-concurrency", Input).value = "2"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "PreflightScreen", what="preflight")
        plan = app.screen.plan
        assert plan.counts[Verdict.NOW] == 2 and plan.counts[Verdict.LATER] == 2
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "GroupScreen", what="group screen")
        screen = group_screen(app)
        await wait_until(
            pilot,
            lambda: any(n.startswith("upgrade on 4 deployments:") for n in notes),
            timeout=60,
            what="the end toast",
        )
        # The toast may come from the app's own read, a tick before the screen's.
        await wait_until(
            pilot, lambda: screen.progress is not None and screen.progress.is_over, what="over"
        )
        counts = screen.progress.counts
        assert (counts["done"], counts["failed"]) == (2, 2)
        ended = [n for n in notes if n.startswith("upgrade on 4 deployments:")]
        assert ended == ["upgrade on 4 deployments: 2 completed, 2 failed."]
        await pilot.press("f")
        first_two = screen.table.keys[:2]
        by_id = {m.id: m for m in screen.progress.members}
        assert {by_id[k].deployment_id for k in first_two} == {"shop-2", "shop-4"}
        assert "health check" in screen.table.get_cell(first_two[0], "error").plain
        # enter opens the member's execution.
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="execution")


@pytest.mark.parametrize("action", ["cancel", "force-cancel", "kill"])
async def test_group_cancel_sends_the_chosen_action(slow: LoggedManager, action: str) -> None:
    app = make_app(slow)
    async with app.run_test(size=(120, 36)) as pilot:
        await mark(pilot, app, ["web-prod", "web-staging", "web-canary"])
        preflight = await open_preflight(pilot, app, "rolling_restart", concurrency=1)
        assert preflight.plan.counts[Verdict.LATER] == 2
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "GroupScreen", what="group screen")
        screen = group_screen(app)
        await wait_until(
            pilot,
            lambda: screen.progress is not None and screen.progress.counts["waiting"] == 2,
            what="two waiting members",
        )
        group_id = screen.group_id
        mark_at = slow.mark()
        await pilot.press("c")
        label = {"cancel": "Cancel group", "force-cancel": "Force-cancel", "kill": "Kill…"}[action]
        await choose(pilot, app, label)
        if action == "kill":
            await choose(pilot, app, "Kill")
        await wait_until(pilot, lambda: slow.sent_since(mark_at), what="the request")
        assert slow.sent_since(mark_at) == [
            {
                "method": "POST",
                "path": f"/api/v3.1/execution-groups/{group_id}",
                "query": "",
                "body": {"action": action},
            }
        ]
        await wait_until(
            pilot,
            lambda: (
                screen.progress is not None
                and screen.progress.counts["waiting"] == 0
                and screen.progress.counts["cancelled"] >= 2
            ),
            what="the queued members cancelled",
        )


async def test_group_resume_runs_the_failed_members_again(fast: LoggedManager) -> None:
    app = make_app(fast)
    async with app.run_test(size=(120, 36)) as pilot:
        await mark(pilot, app, list(FLEET))
        await open_preflight(pilot, app, "upgrade", parameters="version: 2.0.1\n")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "GroupScreen", what="group screen")
        screen = group_screen(app)
        await wait_until(
            pilot,
            lambda: screen.progress is not None and screen.progress.is_over,
            timeout=60,
            what="the end",
        )
        failed = {m.id for m in screen.progress.members if m.status == "failed"}
        assert len(failed) == 2
        mark_at = fast.mark()
        await pilot.press("u")
        await choose(pilot, app, "Resume 2")
        await wait_until(pilot, lambda: fast.sent_since(mark_at), what="the request")
        assert fast.sent_since(mark_at) == [
            {
                "method": "POST",
                "path": f"/api/v3.1/execution-groups/{screen.group_id}",
                "query": "",
                "body": {"action": "resume"},
            }
        ]

        # The failed members run again: each one starts a second time (and, its
        # blueprint being flaky, fails again).
        def starts(exec_id: str) -> int:
            with http(fast) as client:
                page = client.get(
                    "/events",
                    params={"execution_id": exec_id, "event_type": "workflow_started"},
                ).json()
            return len(page["items"])

        await wait_until(
            pilot, lambda: all(starts(i) == 2 for i in failed), timeout=60, what="second starts"
        )
        completed = {m.id for m in screen.progress.members if m.status == "terminated"}
        assert all(starts(i) == 1 for i in completed)  # the completed ones did not run again


async def test_recent_group_runs_list_and_open(fast: LoggedManager) -> None:
    with http(fast) as client:
        assert client.put(
            "/deployment-groups/nightly", json={"deployment_ids": ["shop-1", "shop-3"]}
        ).status_code in (200, 201)
        started = client.post(
            "/execution-groups",
            json={
                "deployment_group_id": "nightly",
                "workflow_id": "upgrade",
                "default_parameters": {"version": "1"},
            },
        ).json()
    app = make_app(fast)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        await pilot.press("b")
        await wait_until(pilot, lambda: screen_name(app) == "GroupRunsScreen", what="the list")
        runs = app.screen
        assert isinstance(runs, GroupRunsScreen)
        await wait_until(pilot, lambda: started["id"] in runs.table.keys, what="the group run")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "GroupScreen", what="group screen")
        assert group_screen(app).group_id == started["id"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "GroupRunsScreen", what="back")
