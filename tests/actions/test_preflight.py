"""The preflight of a group start (`tui.actions.preflight`).

`plan`, `declared_workflows`, the summary and the group name are pure: their inputs are
built from JSON as a manager answers it (`Deployment.from_json`, `Execution.from_json`).
`read_members` runs against a real embedded manager, its requests counted from the
wire, and its verdicts are checked against what the manager then does with a group.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import admin_client
from tests.manager_process import DEMO_CREATION_ORDER, PASSWORDS, ManagerProcess
from tui.actions import preflight
from tui.actions.preflight import (
    Members,
    Plan,
    Row,
    Verdict,
    WorkflowChoice,
    declared_workflows,
    default_group_name,
    plan,
    read_members,
)
from tui.api import BadParameters, ManagerClient, groups
from tui.api.models import UNFINISHED_STATES, Deployment, Execution

DEPLOYMENTS = "/api/v3.1/deployments"
EXECUTIONS = "/api/v3.1/executions"

# -- building what a manager answers -------------------------------------------------------


def workflow(
    name: str,
    *,
    plugin: str = "demo_plugin",
    parameters: dict[str, Any] | None = None,
    available: bool = True,
    rules: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "plugin": plugin,
        "operation": f"{plugin}.{name}",
        "parameters": parameters or {},
        "is_cascading": False,
        "is_available": available,
        "availability_rules": rules,
    }


def deployment(
    dep_id: str, *workflows: dict[str, Any], blueprint: str = "webapp", created: str | None = None
) -> Deployment:
    dep = Deployment.from_json(
        {
            "id": dep_id,
            "display_name": dep_id,
            "blueprint_id": blueprint,
            "workflows": list(workflows),
            "created_at": created,
        }
    )
    assert dep is not None
    return dep


def execution(
    exec_id: str,
    dep_id: str | None,
    workflow_id: str = "install",
    status: str = "started",
    *,
    system: bool = False,
) -> Execution:
    found = Execution.from_json(
        {
            "id": exec_id,
            "deployment_id": dep_id,
            "workflow_id": workflow_id,
            "status": status,
            "created_at": "2026-11-29T20:13:00.000Z",
            "is_system_workflow": system,
        }
    )
    assert found is not None
    return found


def members(
    *deployments: Deployment,
    blocking: dict[str, Execution] | None = None,
    system: Execution | None = None,
    missing: tuple[str, ...] = (),
) -> Members:
    return Members({d.id: d for d in deployments}, blocking or {}, system, missing)


def verdicts(result: Plan) -> list[tuple[str, Verdict, str]]:
    return [(row.deployment_id, row.verdict, row.reason) for row in result.rows]


UPGRADE = workflow("upgrade", parameters={"version": {"type": "string", "default": "1.0"}})
HEAL = workflow(
    "heal", plugin="default_workflows", parameters={"node_instance_id": {"required": False}}
)
INSTALLED_ONLY = {"node_instances_active": ["all", "partial"]}
BUSY = execution("3f2a1b2c-0d4e-4f5a-8b6c-7d8e9f0a1b2c", "busy", "install", "started")
SNAPSHOT = execution("9b10aa55-1111-2222-3333-444455556666", None, "create_snapshot", system=True)


# -- plan ----------------------------------------------------------------------------------


def test_the_places_go_in_the_order_the_deployments_were_created_not_marked() -> None:
    """The manager makes a group's executions by its deployments' creation: the oldest
    takes the place, whichever was marked first, and a busy one takes a place too."""
    read = members(
        deployment("young", UPGRADE, created="2026-11-20T10:00:00.000Z"),
        deployment("old", UPGRADE, created="2026-11-01T10:00:00.000Z"),
        deployment("busy", UPGRADE, created="2026-10-01T10:00:00.000Z"),
        blocking={"busy": BUSY},
    )
    result = plan(read, ["young", "old", "busy"], "upgrade", {}, concurrency=2, force=False)
    assert verdicts(result) == [
        ("young", Verdict.LATER, "starts as others end (concurrency 2)"),
        ("old", Verdict.NOW, ""),
        ("busy", Verdict.QUEUE, "behind 3f2a1b2c install (started)"),
    ]


def test_every_verdict_with_its_reason_in_the_marked_order() -> None:
    read = members(
        deployment("web-1", UPGRADE),
        deployment("busy", UPGRADE),
        deployment("web-2", UPGRADE),
        deployment("db-1", workflow("backup"), blueprint="database"),
        deployment(
            "cold",
            workflow(
                "upgrade", parameters=UPGRADE["parameters"], available=False, rules=INSTALLED_ONLY
            ),
        ),
        deployment("web-3", UPGRADE),
        deployment("web-4", UPGRADE),
        blocking={"busy": BUSY},
        missing=("gone",),
    )
    order = ["gone", "web-1", "busy", "db-1", "cold", "web-2", "web-3", "web-4"]
    result = plan(
        read,
        order,
        "upgrade",
        {"version": "2.1"},
        concurrency=3,
        force=False,
        dropped=frozenset({"web-3"}),
    )
    assert verdicts(result) == [
        ("gone", Verdict.REFUSED, "deployment no longer exists"),
        ("web-1", Verdict.NOW, ""),
        ("busy", Verdict.QUEUE, "behind 3f2a1b2c install (started)"),
        ("db-1", Verdict.REFUSED, "does not declare upgrade"),
        ("cold", Verdict.REFUSED, "not available: deployment is not installed"),
        # The queued member took the second of the three places, as on the manager.
        ("web-2", Verdict.NOW, ""),
        ("web-3", Verdict.DROPPED, "left out by you"),
        ("web-4", Verdict.LATER, "starts as others end (concurrency 3)"),
    ]
    assert result.rows[2].blocking == BUSY
    assert result.members == ("web-1", "busy", "web-2", "web-4")
    assert result.counts == {
        Verdict.NOW: 2,
        Verdict.LATER: 1,
        Verdict.QUEUE: 1,
        Verdict.REFUSED: 3,
        Verdict.DROPPED: 1,
    }
    assert (result.workflow_id, result.parameters, result.concurrency, result.force) == (
        "upgrade",
        {"version": "2.1"},
        3,
        False,
    )
    assert result.summary == (
        "start upgrade on 4 deployments: 2 now, 1 later, 1 queue; 3 refused and left out; 1 dropped"
    )


def test_parameters_are_checked_against_each_blueprints_own_declaration() -> None:
    as_text = workflow("upgrade", parameters={"version": {"type": "string"}})
    as_number = workflow(
        "upgrade",
        parameters={"version": {"type": "integer"}, "window": {"type": "string"}},
    )
    read = members(
        deployment("web", as_text, blueprint="webapp"),
        deployment("db", as_number, blueprint="database"),
    )
    result = plan(read, ["web", "db"], "upgrade", {"version": "2.1"}, concurrency=5, force=False)
    assert verdicts(result) == [
        ("web", Verdict.NOW, ""),
        (
            "db",
            Verdict.REFUSED,
            'parameters: Parameter "version" must be of type integer; Workflow "upgrade" must '
            "be provided with the following parameters: window",
        ),
    ]
    # And a parameter one blueprint does not declare refuses only there.
    other = plan(
        read,
        ["web", "db"],
        "upgrade",
        {"version": 3, "window": "night"},
        concurrency=5,
        force=False,
    )
    assert [row.verdict for row in other.rows] == [Verdict.REFUSED, Verdict.NOW]
    assert other.rows[0].reason == (
        'parameters: Workflow "upgrade" does not have the following parameters declared: '
        'window. Remove them or allow custom parameters.; Parameter "version" must be of '
        "type string"
    )


def test_refusals_come_before_the_operators_choice() -> None:
    read = members(deployment("db", workflow("backup")), missing=("gone",))
    result = plan(
        read,
        ["db", "gone"],
        "upgrade",
        {},
        concurrency=5,
        force=False,
        dropped=frozenset({"db", "gone"}),
    )
    assert [row.verdict for row in result.rows] == [Verdict.REFUSED, Verdict.REFUSED]
    assert result.summary == "nothing to start: 2 refused"


def test_force_runs_beside_a_blocker_but_an_unavailable_workflow_stays_refused() -> None:
    cold = workflow("upgrade", available=False, rules=INSTALLED_ONLY)
    read = members(
        deployment("busy", UPGRADE),
        deployment("cold", cold),
        deployment("web", UPGRADE),
        blocking={"busy": BUSY},
    )
    result = plan(read, ["busy", "cold", "web"], "upgrade", {}, concurrency=2, force=True)
    assert verdicts(result) == [
        ("busy", Verdict.NOW, "forced beside 3f2a1b2c install (started)"),
        ("cold", Verdict.REFUSED, "not available: deployment is not installed"),
        ("web", Verdict.NOW, ""),
    ]
    assert result.rows[0].blocking == BUSY
    assert result.force is True


def test_a_system_workflow_queues_every_start_even_a_forced_one() -> None:
    read = members(
        deployment("busy", UPGRADE),
        deployment("web", UPGRADE),
        blocking={"busy": BUSY},
        system=SNAPSHOT,
    )
    for force in (False, True):
        result = plan(read, ["busy", "web"], "upgrade", {}, concurrency=5, force=force)
        assert verdicts(result) == [
            ("busy", Verdict.QUEUE, "behind system workflow 9b10aa55 create_snapshot (started)"),
            ("web", Verdict.QUEUE, "behind system workflow 9b10aa55 create_snapshot (started)"),
        ]
        assert {row.blocking for row in result.rows} == {SNAPSHOT}
        assert result.summary == "start upgrade on 2 deployments: 2 queue"


def test_concurrency_zero_holds_every_start() -> None:
    read = members(
        deployment("busy", UPGRADE),
        deployment("web", UPGRADE),
        deployment("web-2", UPGRADE),
        blocking={"busy": BUSY},
    )
    held = plan(read, ["web", "busy", "web-2"], "upgrade", {}, concurrency=0, force=False)
    assert verdicts(held) == [
        ("web", Verdict.LATER, "held: concurrency 0"),
        ("busy", Verdict.QUEUE, "behind 3f2a1b2c install (started)"),
        ("web-2", Verdict.LATER, "held: concurrency 0"),
    ]
    assert held.summary == "start upgrade on 3 deployments: 2 later, 1 queue"
    forced = plan(read, ["busy"], "upgrade", {}, concurrency=0, force=True)
    assert verdicts(forced) == [
        ("busy", Verdict.LATER, "held: concurrency 0; forced beside 3f2a1b2c install (started)")
    ]


def test_a_negative_concurrency_is_refused() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        plan(members(), [], "upgrade", {}, concurrency=-1, force=False)


def test_each_id_once_and_counts_with_every_verdict() -> None:
    read = members(deployment("a", UPGRADE), deployment("b", UPGRADE))
    result = plan(read, ["b", "a", "b"], "upgrade", {}, concurrency=1, force=False)
    assert [row.deployment_id for row in result.rows] == ["b", "a"]
    assert result.members == ("b", "a")
    assert result.counts == {
        Verdict.NOW: 1,
        Verdict.LATER: 1,
        Verdict.QUEUE: 0,
        Verdict.REFUSED: 0,
        Verdict.DROPPED: 0,
    }
    assert [v.value for v in Verdict] == ["now", "later", "queue", "refused", "dropped"]
    empty = plan(read, [], "upgrade", {}, concurrency=1, force=False)
    assert empty.counts == dict.fromkeys(Verdict, 0)
    assert empty.summary == "nothing to start"


def test_an_id_that_was_not_read_is_refused() -> None:
    result = plan(members(), ["other"], "upgrade", {}, concurrency=1, force=False)
    assert verdicts(result) == [("other", Verdict.REFUSED, "was not read")]


def test_the_summary_leaves_out_what_is_zero() -> None:
    ids = [f"dep-{i:02d}" for i in range(50)]
    read = members(
        *(deployment(i, UPGRADE) for i in ids[:48]),
        blocking={i: BUSY for i in ids[20:23]},
        missing=tuple(ids[48:]),
    )
    result = plan(read, ids, "upgrade", {}, concurrency=20, force=False)
    assert result.summary == (
        "start upgrade on 48 deployments: 20 now, 25 later, 3 queue; 2 refused and left out"
    )
    one = plan(members(deployment("web", HEAL)), ["web"], "heal", {}, concurrency=5, force=False)
    assert one.summary == "start heal on 1 deployment: 1 now"
    dropped = plan(
        members(deployment("a", HEAL), deployment("b", HEAL)),
        ["a", "b"],
        "heal",
        {},
        concurrency=0,
        force=False,
        dropped=frozenset({"a"}),
    )
    assert dropped.summary == "start heal on 1 deployment: 1 later; 1 dropped"
    nothing = plan(
        members(deployment("a", HEAL)),
        ["a", "gone"],
        "heal",
        {},
        concurrency=5,
        force=False,
        dropped=frozenset({"a"}),
    )
    assert nothing.summary == "nothing to start: 1 refused, 1 dropped"


# -- declared_workflows, default_group_name --------------------------------------------------


def test_declared_workflows_most_declared_then_custom_then_by_name() -> None:
    builtin = {"plugin": "default_workflows"}
    read = members(
        deployment("web-1", UPGRADE, workflow("install", **builtin), workflow("restart")),
        deployment("web-2", UPGRADE, workflow("install", **builtin), workflow("heal", **builtin)),
        deployment("db", workflow("install", **builtin), workflow("backup"), blueprint="database"),
        missing=("gone",),
    )
    assert declared_workflows(read) == [
        WorkflowChoice("install", 3, 3, False),
        WorkflowChoice("upgrade", 2, 3, True),
        WorkflowChoice("backup", 1, 3, True),
        WorkflowChoice("restart", 1, 3, True),
        WorkflowChoice("heal", 1, 3, False),
    ]
    assert declared_workflows(members()) == []


def test_a_workflow_one_blueprint_overrides_is_custom() -> None:
    read = members(
        deployment("a", workflow("install", plugin="default_workflows")),
        deployment("b", workflow("install", plugin="my_plugin")),
    )
    assert declared_workflows(read) == [WorkflowChoice("install", 2, 2, True)]


def test_default_group_name_in_utc_to_the_minute() -> None:
    when = datetime(2026, 11, 29, 20, 13, 59, tzinfo=UTC)
    assert default_group_name("upgrade", when) == "cfy-tui-upgrade-20261129-2013"
    east = when.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert default_group_name("upgrade", east) == "cfy-tui-upgrade-20261129-2013"
    naive = datetime(2026, 1, 2, 3, 4)
    assert default_group_name("rolling_restart", naive) == "cfy-tui-rolling_restart-20260102-0304"
    assert (
        default_group_name("scale up/down ü.x", when) == "cfy-tui-scale-up-down---x-20261129-2013"
    )


def test_the_query_asks_for_every_unfinished_state() -> None:
    assert frozenset(preflight.UNFINISHED_ORDER) == UNFINISHED_STATES
    assert len(preflight.UNFINISHED_ORDER) == len(UNFINISHED_STATES)


def test_a_scheduled_execution_blocks_nothing() -> None:
    scheduled = execution("5c4e0000-aaaa", "web", "upgrade", "scheduled")
    queued = execution("6d5f0000-bbbb", "web", "upgrade", "queued")
    system_scheduled = execution("7e600000-cccc", None, "create_snapshot", "scheduled", system=True)
    deps = {"web": deployment("web", UPGRADE)}
    blocking, system = preflight._blockers([system_scheduled, scheduled, queued], deps)
    assert blocking == {"web": queued}
    assert system is None


# -- read_members against a real manager -----------------------------------------------------


class Wire:
    """The requests a client sent, as (method, path)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, method: str, path: str, status: int | None, seconds: float) -> None:
        self.sent.append((method, path))


def connect(manager: ManagerProcess, wire: Wire | None = None) -> ManagerClient:
    return ManagerClient(
        manager.url, username="admin", password=PASSWORDS["admin"], on_request=wire
    )


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def client(manager: ManagerProcess, wire: Wire) -> AsyncIterator[ManagerClient]:
    async with connect(manager, wire) as c:
        yield c


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A manager so slow that a snapshot started on it runs for weeks."""
    proc = ManagerProcess(data=tmp_path / "slow", speed=0.00001).start()
    try:
        yield proc
    finally:
        proc.stop()


async def statuses(client: ManagerClient, group_id: str) -> dict[str, str]:
    page = await client.list_executions(
        group_id=group_id, include=("id", "deployment_id", "status"), size=100
    )
    return {e.deployment_id: e.status for e in page.items}


async def test_read_members_reads_the_marked_deployments_in_two_requests(
    client: ManagerClient, wire: Wire
) -> None:
    marked = ["web-canary", "gone", "db-main", "web-prod", "db-main", "also-gone"]
    read = await read_members(client, marked)
    assert wire.sent == [("GET", DEPLOYMENTS), ("GET", EXECUTIONS)]
    assert list(read.deployments) == ["web-canary", "db-main", "web-prod"]
    assert read.missing == ("gone", "also-gone")
    assert read.blocking == {}
    assert read.system is None
    prod = read.deployments["web-prod"]
    assert (prod.display_name, prod.blueprint_id) == ("Web shop (production)", "webapp")
    rolling = next(w for w in prod.workflows if w.name == "rolling_restart")
    assert [p.name for p in rolling.parameters] == ["batch_size", "drain_timeout"]
    assert read.deployments["db-main"].blueprint_id == "database"


async def test_read_members_of_nothing_asks_nothing(client: ManagerClient, wire: Wire) -> None:
    assert await read_members(client, []) == Members({}, {}, None, ())
    assert wire.sent == []


async def test_a_plan_for_the_demo_and_the_group_the_manager_then_takes(
    client: ManagerClient,
) -> None:
    """The whole marked set is refused by the manager (db-replica was never installed);
    the plan's members are taken, and nothing starts at concurrency 0."""
    read = await read_members(client, DEMO_CREATION_ORDER)
    result = plan(read, DEMO_CREATION_ORDER, "uninstall", {}, concurrency=0, force=False)
    assert verdicts(result) == [
        ("web-prod", Verdict.LATER, "held: concurrency 0"),
        ("web-staging", Verdict.LATER, "held: concurrency 0"),
        ("db-main", Verdict.LATER, "held: concurrency 0"),
        ("db-replica", Verdict.REFUSED, "not available: deployment is not installed"),
        ("analytics", Verdict.LATER, "held: concurrency 0"),
        ("web-canary", Verdict.LATER, "held: concurrency 0"),
    ]
    await groups.put_deployment_group(client, "all", DEMO_CREATION_ORDER)
    with pytest.raises(BadParameters, match="Workflow not available: uninstall"):
        await groups.start_execution_group(client, "all", "uninstall", concurrency=5)
    await groups.put_deployment_group(client, "taken", list(result.members))
    started = await groups.start_execution_group(client, "taken", "uninstall", concurrency=0)
    assert await statuses(client, started.id) == dict.fromkeys(result.members, "queued")


async def test_a_queued_execution_blocks_its_deployment(client: ManagerClient) -> None:
    """A group held at concurrency 0 leaves its members queued for good: unfinished
    executions that block their deployments."""
    await groups.put_deployment_group(client, "held", ["web-prod", "db-main"])
    held = await groups.start_execution_group(client, "held", "heal", concurrency=0)
    queued = await client.list_executions(group_id=held.id, include=("id", "deployment_id"))
    ids = {e.deployment_id: e.id for e in queued.items}
    marked = ["web-staging", "web-prod", "db-main", "analytics"]
    read = await read_members(client, marked)
    assert {dep: e.id for dep, e in read.blocking.items()} == ids
    assert {e.status for e in read.blocking.values()} == {"queued"}
    assert read.blocking["web-prod"].workflow_id == "heal"
    assert read.system is None
    result = plan(read, marked, "restart", {}, concurrency=2, force=False)
    assert verdicts(result) == [
        ("web-staging", Verdict.NOW, ""),
        ("web-prod", Verdict.QUEUE, f"behind {ids['web-prod'][:8]} heal (queued)"),
        ("db-main", Verdict.QUEUE, f"behind {ids['db-main'][:8]} heal (queued)"),
        ("analytics", Verdict.LATER, "starts as others end (concurrency 2)"),
    ]
    # The manager agrees: the members behind the held group are queued.
    await groups.put_deployment_group(client, "next", list(result.members))
    started = await groups.start_execution_group(client, "next", "restart", concurrency=2)
    after = await statuses(client, started.id)
    assert after["web-prod"] == after["db-main"] == "queued"


async def test_a_system_workflow_is_read_and_queues_even_forced(slow: ManagerProcess) -> None:
    with admin_client(slow) as http:
        answer = http.put("/snapshots/nightly", json={})
        assert answer.status_code == 201, answer.text
        snapshot_id = answer.json()["id"]
    async with connect(slow) as client:
        read = await read_members(client, ["web-prod", "web-staging"])
        assert read.system is not None
        assert (read.system.id, read.system.workflow_id) == (snapshot_id, "create_snapshot")
        assert read.system.is_system_workflow and read.system.status in {"pending", "started"}
        assert read.blocking == {}
        result = plan(read, ["web-prod", "web-staging"], "restart", {}, concurrency=5, force=True)
        assert {row.verdict for row in result.rows} == {Verdict.QUEUE}
        assert result.rows[0].reason.startswith(f"behind system workflow {snapshot_id[:8]}")
        await groups.put_deployment_group(client, "forced", list(result.members))
        started = await groups.start_execution_group(
            client, "forced", "restart", concurrency=5, force=True
        )
        assert await statuses(client, started.id) == dict.fromkeys(result.members, "queued")


async def test_read_members_chunks_more_than_a_hundred_ids(tmp_path: Path) -> None:
    proc = ManagerProcess(data=tmp_path / "scale", seed="scale:250").start()
    try:
        wire = Wire()
        async with connect(proc, wire) as client:
            marked = [f"dep-{i:05d}" for i in reversed(range(250))] + ["gone"]
            read = await read_members(client, marked)
    finally:
        proc.stop()
    assert len(wire.sent) == math.ceil(len(marked) / 100) + 1 == 4
    assert wire.sent == [("GET", DEPLOYMENTS)] * 3 + [("GET", EXECUTIONS)]
    assert list(read.deployments) == marked[:-1]
    assert read.missing == ("gone",)
    assert all(dep.workflows for dep in read.deployments.values())
    choices = {c.name: c for c in declared_workflows(read)}
    assert choices["install"] == WorkflowChoice("install", 250, 250, False)
    assert choices["backup"].count == 83  # every third deployment is a database


async def test_read_members_gets_the_workflows_from_the_current_master(tmp_path: Path) -> None:
    """Master (7.1) lists `workflows` only with `_get_data`."""
    proc = ManagerProcess(data=tmp_path / "master", emulate="7.1").start()
    try:
        async with connect(proc) as client:
            read = await read_members(client, ["web-prod", "db-main"])
    finally:
        proc.stop()
    names = {dep: [w.name for w in d.workflows] for dep, d in read.deployments.items()}
    assert "rolling_restart" in names["web-prod"] and "backup" in names["db-main"]


def test_rows_are_frozen() -> None:
    row = Row("web", Verdict.NOW, "")
    with pytest.raises(AttributeError):
        row.verdict = Verdict.LATER  # type: ignore[misc]
