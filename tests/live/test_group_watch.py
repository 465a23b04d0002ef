"""Following an execution group: what one read says (`GroupProgress`, pure), the
group's events named by deployment, and `GroupFollower` against a real embedded
manager, where a tick costs one request per thousand members, counted by the follower
and on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.manager_process import PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport, recording_client
from tui.api import ManagerClient, groups
from tui.api.groups import ExecutionGroup
from tui.api.models import Execution
from tui.live.group_watch import (
    MEMBER_FIELDS,
    GroupFollower,
    GroupProgress,
    name_members,
    recent_groups,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
INSTALLED = ["web-prod", "web-staging", "db-main", "analytics"]
EVERY_BUCKET = ("done", "failed", "cancelled", "running", "stopping", "waiting")


def at(second: int) -> str:
    """A manager timestamp `second` seconds after 11:00 (an hour before NOW)."""
    return f"2024-05-01T11:{second // 60:02d}:{second % 60:02d}.000Z"


def member(
    exec_id: str,
    status: str,
    *,
    created: int = 0,
    started: int | None = None,
    ended: int | None = None,
    deployment: str = "",
) -> Execution:
    data: dict[str, Any] = {
        "id": exec_id,
        "deployment_id": deployment or f"dep-{exec_id}",
        "workflow_id": "upgrade",
        "status": status,
        "created_at": at(created),
        "started_at": at(started) if started is not None else None,
        "ended_at": at(ended) if ended is not None else None,
        "error": "boom" if status == "failed" else "",
    }
    parsed = Execution.from_json(data)
    assert parsed is not None
    return parsed


def progress(
    *members: Execution, concurrency: int = 5, status: str = "", workflow: str = "upgrade"
) -> GroupProgress:
    group = ExecutionGroup.from_json(
        {"id": "grp", "workflow_id": workflow, "concurrency": concurrency, "status": status}
    )
    assert group is not None
    return GroupProgress(group=group, members=members, now=NOW)


def statuses(*words: str) -> GroupProgress:
    return progress(*(member(f"e{i}", word) for i, word in enumerate(words)))


# -- GroupProgress -----------------------------------------------------------------------


def test_counts_every_status_group_and_name_each_key() -> None:
    every = statuses(
        "terminated",
        "terminated",
        "failed",
        "cancelled",
        "pending",
        "started",
        "cancelling",
        "force_cancelling",
        "kill_cancelling",
        "queued",
        "scheduled",
    )
    assert every.counts == {
        "done": 2,
        "failed": 1,
        "cancelled": 1,
        "running": 2,
        "stopping": 3,
        "waiting": 2,
    }
    assert (every.total, every.ended) == (11, 4)
    assert every.fraction == pytest.approx(4 / 11)
    assert not every.is_over
    empty = progress()
    assert tuple(empty.counts) == EVERY_BUCKET and set(empty.counts.values()) == {0}
    # A reader's changes to the dict do not change the progress.
    every.counts["done"] = 99
    assert every.counts["done"] == 2


def test_a_status_this_client_does_not_know_is_counted_only_in_the_total() -> None:
    odd = statuses("terminated", "paused_by_a_future_manager")
    assert sum(odd.counts.values()) == 1
    assert (odd.total, odd.ended, odd.is_over) == (2, 1, False)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("pending", "pending"), "pending"),
        (("pending", "queued", "scheduled"), "queued"),
        (("queued",), "queued"),
        (("terminated", "cancelled"), "terminated"),
        (("terminated", "failed", "cancelled"), "failed"),
        (("terminated", "started"), "started"),
        (("terminated", "queued"), "started"),
        (("cancelling", "queued"), "started"),
    ],
)
def test_the_status_is_computed_from_the_members_as_the_manager_does(
    words: tuple[str, ...], expected: str
) -> None:
    assert statuses(*words).status == expected


def test_without_members_the_group_says_its_status() -> None:
    unknown = progress(status="")
    assert (unknown.status, unknown.is_over, unknown.fraction) == ("", False, 1.0)
    ended = progress(status="terminated")
    assert (ended.status, ended.is_over) == ("terminated", True)


def test_over_when_every_member_ended() -> None:
    over = statuses("terminated", "failed", "cancelled")
    assert over.is_over and over.fraction == 1.0 and over.status == "failed"
    assert over.eta_seconds == 0


def test_durations_to_the_end_or_to_now() -> None:
    p = progress()
    assert p.duration(member("a", "terminated", started=10, ended=70)) == 60
    assert p.duration(member("b", "started", started=0)) == 3600  # NOW is 12:00
    assert p.duration(member("c", "queued")) is None
    assert p.duration(member("d", "cancelled", started=5)) is None  # no end time


def test_no_eta_before_a_member_ended_terminated_or_failed() -> None:
    assert progress(member("a", "started", started=0), member("b", "queued")).eta_seconds is None
    # A cancelled member stopped part-way: its duration is no estimate.
    cancelled = member("c", "cancelled", started=0, ended=5)
    assert progress(cancelled, member("b", "queued")).eta_seconds is None


def test_eta_counts_waves_of_waiting_members_by_the_median() -> None:
    ended = (
        member("a", "terminated", started=0, ended=60),
        member("b", "failed", started=0, ended=100),
        member("c", "terminated", started=0, ended=80),
    )  # median 80
    waiting = tuple(member(f"w{i}", "queued") for i in range(5))
    assert progress(*ended, *waiting, concurrency=2).eta_seconds == 3 * 80
    assert progress(*ended, *waiting, concurrency=5).eta_seconds == 80
    # A paused group (concurrency 0) is estimated as if one ran at a time.
    assert progress(*ended, *waiting, concurrency=0).eta_seconds == 5 * 80


def test_eta_adds_the_largest_remainder_of_the_running_members() -> None:
    ended = member("a", "terminated", started=0, ended=100)  # median 100
    # Started 30 s before NOW (3570 s after 11:00): 70 s left. Pending, not started: 100.
    recent = member("r", "started", started=3570)
    pending = member("p", "pending")
    overdue = member("o", "started", started=0)  # ran longer than the median: 0 left
    assert progress(ended, recent, concurrency=1).eta_seconds == 70
    assert progress(ended, overdue, concurrency=1).eta_seconds == 0
    assert progress(ended, recent, pending, member("q", "queued")).eta_seconds == 100 + 100


def test_outcome_names_the_workflow_and_the_parts_that_are_not_zero() -> None:
    members = [member(f"t{i}", "terminated") for i in range(45)]
    members += [member("f1", "failed"), member("f2", "failed"), member("c1", "cancelled")]
    assert (
        progress(*members).outcome
        == "upgrade on 48 deployments: 45 completed, 2 failed, 1 cancelled"
    )
    assert statuses("terminated").outcome == "upgrade on 1 deployment: 1 completed"
    running = statuses("started", "queued", "queued", "cancelling")
    assert running.outcome == "upgrade on 4 deployments: 1 running, 1 stopping, 2 waiting"
    assert progress(workflow="").outcome == "group grp on 0 deployments"


def test_ordered_by_creation_then_id_and_failed_first() -> None:
    members = (
        member("b", "terminated", created=1),
        member("c", "cancelled", created=0),
        member("a", "terminated", created=1),
        member("f2", "failed", created=5),
        member("f1", "failed", created=9),
        member("q", "queued", created=2),
    )
    p = progress(*members)
    assert [m.id for m in p.ordered(failed_first=False)] == ["c", "a", "b", "q", "f2", "f1"]
    assert [m.id for m in p.ordered(failed_first=True)] == ["f2", "f1", "c", "a", "b", "q"]


def test_failed_first_then_cancelled_then_the_rest_each_in_creation_order() -> None:
    """A cancelled member created after others that did their work still comes before
    them: what was not done is what an operator looks at next."""
    members = (
        member("t1", "terminated", created=0),
        member("q1", "queued", created=1),
        member("c2", "cancelled", created=7),
        member("c1", "cancelled", created=5),
        member("s1", "started", created=2),
        member("f1", "failed", created=9),
    )
    p = progress(*members)
    assert [m.id for m in p.ordered(failed_first=True)] == ["f1", "c1", "c2", "t1", "q1", "s1"]
    assert [m.id for m in p.ordered(failed_first=False)] == ["t1", "q1", "s1", "c1", "c2", "f1"]


def test_a_member_without_a_creation_time_comes_first() -> None:
    """A member whose `created_at` is missing or unreadable sorts before the others,
    by id, instead of breaking the sort of the whole group."""
    unknown = (Execution("z", status="failed"), Execution("y", status="terminated"))
    p = progress(member("a", "terminated", created=0), *unknown)
    assert [m.id for m in p.ordered(failed_first=False)] == ["y", "z", "a"]
    assert [m.id for m in p.ordered(failed_first=True)] == ["z", "y", "a"]


def test_a_duration_is_never_negative_nor_rounded_up() -> None:
    """Ended the second it started: 0 s. Clocks that disagree (an end before the start,
    a start after `now`) must not make a negative duration or a longer eta."""
    p = progress()
    assert p.duration(member("a", "terminated", started=10, ended=10)) == 0.0
    assert p.duration(member("b", "failed", started=10, ended=5)) == 0.0
    late = Execution("c", status="started", started_at="2024-05-01T12:00:30.000Z")
    assert p.duration(late) == 0.0
    quick = member("e", "terminated", started=0, ended=0)
    assert progress(quick, member("w", "queued"), concurrency=1).eta_seconds == 0.0


# -- name_members ------------------------------------------------------------------------

UUID = "3f2a9c1e-0b7d-4c55-9a21-7d3e8f1b2c44"


def test_a_state_change_names_the_member_by_deployment() -> None:
    known = {UUID: "web-prod"}
    assert (
        name_members(f"execution '{UUID}' changed state to 'started'", known)
        == "web-prod (3f2a9c1e) changed state to 'started'"
    )
    with_error = f"execution '{UUID}' changed state to 'failed' with error 'it's\nbroken'"
    assert (
        name_members(with_error, known)
        == "web-prod (3f2a9c1e) changed state to 'failed' with error 'it's\nbroken'"
    )


@pytest.mark.parametrize(
    "message",
    [
        "execution 'someone-else' changed state to 'started'",
        "Workflow upgrade does not exist in the deployment db-replica",
        f"the execution '{UUID}' changed state to 'started'",
        "",
    ],
)
def test_other_messages_are_left_unchanged(message: str) -> None:
    assert name_members(message, {UUID: "web-prod"}) == message


# -- GroupFollower against the embedded manager -----------------------------------------


class Wire:
    """The requests the client sent, as its `on_request` saw them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, method: str, path: str, status: int | None, took: float) -> None:
        self.sent.append((method, path))

    def since(self, mark: int) -> list[tuple[str, str]]:
        return self.sent[mark:]


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def client(manager: ManagerProcess, wire: Wire) -> AsyncIterator[ManagerClient]:
    async with ManagerClient(
        manager.url, username="admin", password=PASSWORDS["admin"], on_request=wire
    ) as c:
        yield c


async def counted_read(follower: GroupFollower, wire: Wire) -> tuple[GroupProgress, list[Any]]:
    """A read, the follower's count of its requests and the requests on the wire."""
    before, mark = follower.requests, len(wire.sent)
    read = await follower.read()
    sent = wire.since(mark)
    assert follower.requests - before == len(sent)
    return read, sent


MEMBERS = ("GET", "/api/v3.1/executions")


async def test_follow_a_group_to_its_end_one_request_a_tick(
    client: ManagerClient, wire: Wire
) -> None:
    await groups.put_deployment_group(client, "g", INSTALLED)
    started = await groups.start_execution_group(client, "g", "uninstall", concurrency=1)
    follower = GroupFollower(client, started.id)

    first, sent = await counted_read(follower, wire)
    assert sent == [("GET", f"/api/v3.1/execution-groups/{started.id}"), MEMBERS]
    assert first.group.concurrency == 1 and first.total == 4
    assert {m.deployment_id for m in first.members} == set(INSTALLED)

    reads = [first]
    deadline = asyncio.get_running_loop().time() + 60
    while not reads[-1].is_over:
        assert asyncio.get_running_loop().time() < deadline, "the group did not end"
        await asyncio.sleep(0.05)
        read, sent = await counted_read(follower, wire)
        assert sent == [MEMBERS]
        reads.append(read)

    last = reads[-1]
    assert last.counts == {**dict.fromkeys(EVERY_BUCKET, 0), "done": 4}
    assert (last.status, last.fraction, last.eta_seconds) == ("terminated", 1.0, 0)
    assert last.outcome == "uninstall on 4 deployments: 4 completed"
    assert all(last.duration(m) is not None for m in last.members)
    # Concurrency 1: never more than one member at work, the others waiting.
    assert all(r.counts["running"] + r.counts["stopping"] <= 1 for r in reads)
    # Once one member has ended, an unfinished group has an estimate.
    assert all(r.eta_seconds is not None for r in reads if r.counts["done"] and not r.is_over)
    # The manager's own status agrees with the one computed from the members.
    assert (await groups.get_execution_group(client, started.id)).status == last.status

    # After an action, the next read fetches the group again, then no more.
    follower.reread_group()
    _, sent = await counted_read(follower, wire)
    assert len(sent) == 2
    _, sent = await counted_read(follower, wire)
    assert sent == [MEMBERS]

    # The group's events, each member named by its deployment.
    mark = len(wire.sent)
    events = await follower.events(size=100)
    assert wire.since(mark) == [("GET", "/api/v3.1/events")]
    by_execution = {m.id: m.deployment_id for m in last.members}
    named = {name_members(e.message, by_execution) for e in events.items}
    for m in last.members:
        assert f"{m.deployment_id} ({m.id[:8]}) changed state to 'terminated'" in named
    newest = events.items[0].timestamp or ""
    assert all((e.timestamp or "") <= newest for e in events.items)


async def test_a_group_without_members(client: ManagerClient) -> None:
    # No deployment declares the workflow: the group exists with no executions and the
    # manager's status is null, so it is not over (the screen says why, not "done").
    await groups.put_deployment_group(client, "g", INSTALLED)
    started = await groups.start_execution_group(client, "g", "no_such_workflow")
    read = await GroupFollower(client, started.id).read()
    assert (read.total, read.status, read.is_over, read.fraction) == (0, "", False, 1.0)


@pytest.fixture
async def recorded(
    manager: ManagerProcess,
) -> AsyncIterator[tuple[ManagerClient, RecordingTransport]]:
    """A fresh manager's (the group tests start runs): see the shared `recorded`."""
    async with recording_client(manager.url) as pair:
        yield pair


async def test_a_read_asks_for_the_members_fields_only_at_the_followers_time(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """The members' request names exactly the fields a row shows and leaves system
    workflows out; the progress is dated by the follower's clock (running members'
    durations count to it)."""
    client, transport = recorded
    await groups.put_deployment_group(client, "g", INSTALLED)
    started = await groups.start_execution_group(client, "g", "uninstall", concurrency=0)
    follower = GroupFollower(client, started.id, clock=lambda: NOW)
    mark = len(transport.requests)
    read = await follower.read()
    assert read.now == NOW
    assert (read.total, read.status) == (4, "queued")
    assert follower.requests == 2
    assert transport.sent(mark) == [
        ("GET", f"/api/v3.1/execution-groups/{started.id}", []),
        (
            "GET",
            "/api/v3.1/executions",
            [
                ("_include_system_workflows", "false"),
                ("_group_id", started.id),
                ("_size", "1000"),
                ("_offset", "0"),
                ("_sort", "created_at"),
                ("_sort", "id"),
                ("_include", ",".join(MEMBER_FIELDS)),
            ],
        ),
    ]
    assert ",".join(MEMBER_FIELDS) == (
        "id,deployment_id,workflow_id,status,created_at,started_at,ended_at,error"
    )


async def test_each_page_of_events_is_one_request_counted_once(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """`requests` is what the group screen reports as its cost: one per page asked,
    on top of the reads."""
    client, transport = recorded
    await groups.put_deployment_group(client, "g", INSTALLED)
    started = await groups.start_execution_group(client, "g", "uninstall", concurrency=0)
    follower = GroupFollower(client, started.id)
    await follower.read()
    assert follower.requests == 2
    mark = len(transport.requests)
    await follower.events()
    assert follower.requests == 3
    await follower.events(newest_first=False, size=7, offset=3)
    assert follower.requests == 4
    scope = [
        ("execution_group_id", started.id),
        ("type", "cloudify_event"),
        ("type", "cloudify_log"),
    ]
    assert transport.sent(mark) == [
        (
            "GET",
            "/api/v3.1/events",
            [*scope, ("_sort", "-reported_timestamp"), ("_offset", "0"), ("_size", "100")],
        ),
        (
            "GET",
            "/api/v3.1/events",
            [*scope, ("_sort", "reported_timestamp"), ("_offset", "3"), ("_size", "7")],
        ),
    ]


async def test_recent_groups_are_the_newest_runs_in_one_request(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, transport = recorded
    await groups.put_deployment_group(client, "g", INSTALLED)
    ids = [
        (await groups.start_execution_group(client, "g", workflow, concurrency=0)).id
        for workflow in ("uninstall", "install", "no_such_workflow")
    ]
    mark = len(transport.requests)
    page = await recent_groups(client, size=2)
    assert [g.id for g in page.items] == [ids[2], ids[1]]
    assert [(g.workflow_id, g.status) for g in page.items] == [
        ("no_such_workflow", ""),
        ("install", "queued"),
    ]
    assert (page.total, page.size, page.offset) == (3, 2, 0)
    assert len(transport.sent(mark)) == 1
    assert ("_size", "2") in transport.sent(mark)[0][2]


@pytest.fixture(scope="module")
def scale_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    """1,200 deployments (the scale seed): groups of them held at concurrency 0, so
    that every member stays queued and nothing runs."""
    data: Path = tmp_path_factory.mktemp("scale") / "manager"
    proc = ManagerProcess(data=data, seed="scale:1200").start(timeout=120)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.mark.parametrize(("size", "per_read"), [(1000, 1), (1200, 2)])
async def test_a_thousand_members_a_request(
    scale_manager: ManagerProcess, size: int, per_read: int
) -> None:
    wire = Wire()
    async with ManagerClient(
        scale_manager.url, username="admin", password=PASSWORDS["admin"], on_request=wire
    ) as client:
        ids = [f"dep-{i:05d}" for i in range(size)]
        await groups.put_deployment_group(client, f"fleet-{size}", ids)
        started = await groups.start_execution_group(
            client, f"fleet-{size}", "install", concurrency=0
        )
        follower = GroupFollower(client, started.id)
        first, sent = await counted_read(follower, wire)
        assert len(sent) == 1 + per_read
        assert first.total == size and first.counts["waiting"] == size
        assert first.status == "queued" and first.eta_seconds is None
        assert {m.deployment_id for m in first.members} == set(ids)
        assert [m.id for m in first.ordered(failed_first=False)] == [m.id for m in first.members]
        for _ in range(2):
            _, sent = await counted_read(follower, wire)
            assert sent == [MEMBERS] * per_read
        assert follower.requests == 1 + 3 * per_read
