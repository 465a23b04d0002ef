"""The fleet's data (`tui/live/fleet.py`): the filter words as typed, what each view
asks the manager for (the exact query on the wire), and the pages a read returns
(order, paging, totals, the `since` bound, system workflows, errors), against the
embedded manager's demo seed and executions started on a manager too slow to end
them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.manager_process import PASSWORDS, ManagerProcess
from tests.ui.helpers import http, start_via_http
from tests.wire import RecordingTransport, recording_client
from tui.api.client import ManagerClient
from tui.api.models import parse_time
from tui.live.fleet import (
    FLEET_FIELDS,
    SYNTAX,
    FilterError,
    FleetPage,
    FleetQuery,
    parse_filter,
    read_fleet,
)
from tui.manager.seed import TENANTS

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HISTORY = FleetQuery(view="history")
# sorted(UNFINISHED_STATES): the running view's statuses, in the order they are sent.
UNFINISHED = (
    "cancelling",
    "force_cancelling",
    "kill_cancelling",
    "pending",
    "queued",
    "scheduled",
    "started",
)
INCLUDE = (
    "id,workflow_id,deployment_id,status,error,created_at,started_at,ended_at,created_by,"
    "total_operations,finished_operations,is_dry_run,blueprint_id,is_system_workflow,"
    "tenant_name"
)
EXECUTIONS = "/api/v3.1/executions"
Recorded = tuple[ManagerClient, RecordingTransport]


def wire(
    statuses: tuple[str, ...] = UNFINISHED,
    *,
    named: tuple[tuple[str, str], ...] = (),
    size: int = 50,
    offset: int = 0,
) -> list[tuple[str, str]]:
    """The query pairs of one fleet read, in the order the client sends them."""
    return [
        ("_include_system_workflows", "true"),
        *named,
        *(("status", s) for s in statuses),
        ("_size", str(size)),
        ("_offset", str(offset)),
        ("_sort", "-created_at"),
        ("_include", INCLUDE),
    ]


# -- FleetQuery.wanted_statuses ---------------------------------------------------------


def test_the_running_view_asks_for_every_unfinished_status_sorted() -> None:
    """Without a status word, running now means every status that has not ended, in a
    stable (sorted) order so that two reads send the same query."""
    assert FleetQuery().wanted_statuses() == UNFINISHED
    assert FleetQuery(all_tenants=True, workflow="install").wanted_statuses() == UNFINISHED


@pytest.mark.parametrize(
    ("statuses", "wanted"),
    [
        (("queued", "failed", "pending"), ("queued", "pending")),
        (("started",), ("started",)),
        (("terminated", "failed", "cancelled"), ()),
        (("kill_cancelling", "scheduled"), ("kill_cancelling", "scheduled")),
    ],
    ids=["mixed-in-typed-order", "one", "only-ended", "stopping-and-waiting"],
)
def test_the_running_view_keeps_only_the_unfinished_statuses_of_the_filter(
    statuses: tuple[str, ...], wanted: tuple[str, ...]
) -> None:
    """A status word for an ended state cannot match a running execution: it is left
    out, the others kept in the order typed."""
    assert FleetQuery(statuses=statuses).wanted_statuses() == wanted


@pytest.mark.parametrize(
    "statuses", [(), ("failed",), ("terminated", "queued", "failed")], ids=["none", "one", "many"]
)
def test_the_history_view_asks_for_the_statuses_as_typed(statuses: tuple[str, ...]) -> None:
    """History has every status: no word means no status filter at all."""
    assert FleetQuery(view="history", statuses=statuses).wanted_statuses() == statuses


# -- parse_filter -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        ("completed", ("terminated",)),
        ("terminated", ("terminated",)),
        ("failed", ("failed",)),
        ("cancelled", ("cancelled",)),
        ("pending", ("pending",)),
        ("started", ("started",)),
        ("running", ("pending", "started")),
        ("stopping", ("cancelling", "force_cancelling", "kill_cancelling")),
        ("cancelling", ("cancelling",)),
        ("force_cancelling", ("force_cancelling",)),
        ("kill_cancelling", ("kill_cancelling",)),
        ("queued", ("queued",)),
        ("scheduled", ("scheduled",)),
        ("waiting", ("queued", "scheduled")),
        ("ended", ("terminated", "failed", "cancelled")),
        ("status:failed,cancelled", ("failed", "cancelled")),
        ("s:FAILED", ("failed",)),
        ("Status:Running", ("pending", "started")),
        ("running started pending", ("pending", "started")),
        ("ended,failed queued", ("terminated", "failed", "cancelled", "queued")),
        ("", ()),
    ],
    ids=lambda v: v if isinstance(v, str) and v else None,
)
def test_status_words_become_the_statuses_they_mean(text: str, statuses: tuple[str, ...]) -> None:
    """Each status word, bare or after `status:`/`s:`, in any case, comma-separated or
    repeated: the statuses it means, each once, in the order first named."""
    query = parse_filter(text, HISTORY, NOW)
    assert query == FleetQuery(view="history", statuses=statuses)


@pytest.mark.parametrize(
    ("text", "workflow", "deployment"),
    [
        ("workflow:install", "install", None),
        ("w:Install", "Install", None),
        ("WORKFLOW:install", "install", None),
        ("deployment:web-1", None, "web-1"),
        ("dep:web-1", None, "web-1"),
        ("D:Web-1", None, "Web-1"),
        ("deployment:a:b", None, "a:b"),
        ("w:install w:uninstall d:x d:y", "uninstall", "y"),
    ],
)
def test_workflow_and_deployment_words_keep_the_value_as_typed(
    text: str, workflow: str | None, deployment: str | None
) -> None:
    """Keys have aliases and any case; ids are case-sensitive on a manager, so the
    value is kept as typed (after the first colon); the last word of a key wins."""
    query = parse_filter(text, HISTORY, NOW)
    assert (query.workflow, query.deployment, query.statuses, query.since) == (
        workflow,
        deployment,
        (),
        None,
    )


@pytest.mark.parametrize(
    ("value", "since"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("90M", NOW - timedelta(minutes=90)),
        ("24h", NOW - timedelta(hours=24)),
        ("1h", NOW - timedelta(hours=1)),
        ("7d", NOW - timedelta(days=7)),
        ("0d", NOW),
        ("2026-11-01T08:30:00+00:00", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_since_an_age_or_a_time(value: str, since: datetime) -> None:
    """An age counts back from `now` in minutes, hours or days; anything else is read
    as a time (naive means UTC, as the manager's)."""
    assert parse_filter(f"since:{value}", HISTORY, NOW).since == since


def test_since_today_is_midnight_whatever_the_minute_of_now() -> None:
    """Midnight drops the minutes, seconds and microseconds of now too, not the hour
    only (the other tests' now is on the hour)."""
    odd = datetime(2026, 11, 29, 12, 37, 12, 500_000, tzinfo=UTC)
    today = parse_filter("since:today", HISTORY, odd).since
    assert today is not None
    assert today.astimezone().time().isoformat() == "00:00:00"


def test_since_today_and_yesterday_are_local_midnights() -> None:
    """`today` is the operator's midnight, not UTC's; `yesterday` the one before."""
    today = parse_filter("since:today", HISTORY, NOW).since
    yesterday = parse_filter("since:Yesterday", HISTORY, NOW).since
    assert today is not None and yesterday is not None
    local = NOW.astimezone()
    assert today.astimezone().date() == local.date()
    assert today.astimezone().time().isoformat() == "00:00:00"
    assert today - yesterday == timedelta(days=1)
    assert today <= NOW < today + timedelta(days=1)


def test_since_a_time_as_the_manager_writes_it() -> None:
    """A timestamp copied from the manager (`...Z`) is a time, in any case (it was
    lowercased before being read, and `z` was no zone)."""
    for typed in ("since:2026-11-01T08:30:00.000Z", "since:2026-11-01t08:30:00.000z"):
        assert parse_filter(typed, HISTORY, NOW).since == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def test_the_filter_replaces_the_bases_words_and_keeps_its_view_and_tenants() -> None:
    """A new filter is the whole filter: what the base was narrowed by before is gone,
    but the view and the all-tenants switch are the screen's, not the filter's."""
    base = FleetQuery(
        view="running",
        statuses=("failed",),
        workflow="old",
        deployment="old",
        since=NOW,
        all_tenants=True,
    )
    assert parse_filter("w:install", base, NOW) == FleetQuery(
        view="running", workflow="install", all_tenants=True
    )
    assert parse_filter("  ", base, NOW) == FleetQuery(view="running", all_tenants=True)
    both = parse_filter("queued since:1h d:web-1", FleetQuery(view="history"), NOW)
    assert both == FleetQuery(
        view="history",
        statuses=("queued",),
        deployment="web-1",
        since=NOW - timedelta(hours=1),
    )


KNOWN = (
    "cancelled, cancelling, completed, ended, failed, force_cancelling, kill_cancelling, "
    "pending, queued, running, scheduled, started, stopping, terminated, waiting"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour:red", f"'colour:red' is not a filter word: {SYNTAX}"),
        ("failed Workflow:", f"'Workflow:' is not a filter word: {SYNTAX}"),
        ("status:", f"'status:' is not a filter word: {SYNTAX}"),
        (":failed", f"':failed' is not a filter word: {SYNTAX}"),
        ("nosuch", f"'nosuch' is not a status: use one of {KNOWN}"),
        ("status:Failed,Done", f"'done' is not a status: use one of {KNOWN}"),
        ("s:failed,", f"'' is not a status: use one of {KNOWN}"),
        ("since:Soon", "since:Soon is not a time: use 30m, 24h, 7d, today, yesterday"),
        ("since:1w", "since:1w is not a time: use 30m, 24h, 7d, today, yesterday"),
        ("since:h", "since:h is not a time: use 30m, 24h, 7d, today, yesterday"),
        ("since:-2h", "since:-2h is not a time: use 30m, 24h, 7d, today, yesterday"),
        ("since:24Hours", "since:24Hours is not a time: use 30m, 24h, 7d, today, yesterday"),
    ],
)
def test_a_word_that_cannot_be_read_says_why(text: str, message: str) -> None:
    """The message quotes the word and says what would be read instead."""
    with pytest.raises(FilterError) as raised:
        parse_filter(text, HISTORY, NOW)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)


def test_the_syntax_and_the_fields_asked_for() -> None:
    """What the status line shows as the syntax, and the fields a fleet read names: an
    execution row's, less its parameters, plus the system and tenant columns."""
    assert SYNTAX == (
        "status:failed workflow:install deployment:web-1 since:24h (or 7d, today, yesterday)"
    )
    assert ",".join(FLEET_FIELDS) == INCLUDE


# -- read_fleet on the module's manager (the demo seed, read only) ------------------------


async def whole_history(client: ManagerClient) -> FleetPage:
    page = await read_fleet(client, HISTORY, size=100)
    assert not page.error and page.total == len(page.items)
    return page


async def test_running_now_on_a_quiet_manager_is_one_empty_read(recorded: Recorded) -> None:
    """The demo seed's executions have all ended: one request for every unfinished
    status, with system workflows, newest first, and an empty page."""
    client, transport = recorded
    mark = len(transport.requests)
    page = await read_fleet(client, FleetQuery())
    assert page == FleetPage(items=(), total=0, offset=0, range_ended=False, error="")
    assert transport.sent(mark) == [("GET", EXECUTIONS, wire())]


async def test_an_ended_status_in_the_running_view_asks_nothing(recorded: Recorded) -> None:
    """`status:failed` while running now: nothing can match, and the manager is not
    asked (an empty status list would mean every execution)."""
    client, transport = recorded
    mark = len(transport.requests)
    page = await read_fleet(client, FleetQuery(statuses=("failed", "terminated")), offset=7)
    assert page == FleetPage()
    assert transport.sent(mark) == []


async def test_history_is_every_execution_newest_first(recorded: Recorded) -> None:
    """History sends no status, includes system workflows, and gives the manager's
    order and total; the newest executions of the demo seed come first."""
    client, transport = recorded
    mark = len(transport.requests)
    page = await read_fleet(client, HISTORY)
    assert transport.sent(mark) == [("GET", EXECUTIONS, wire(()))]
    assert (page.total, page.offset, page.range_ended, page.error) == (17, 0, False, "")
    assert len(page.items) == 17
    assert [(e.deployment_id, e.workflow_id, e.status) for e in page.items[:5]] == [
        ("web-canary", "install", "failed"),
        ("web-canary", "create_deployment_environment", "terminated"),
        ("web-staging", "check_status", "terminated"),
        ("db-main", "backup", "failed"),
        ("web-prod", "rolling_restart", "terminated"),
    ]
    created = [e.created_at or "" for e in page.items]
    assert created == sorted(created, reverse=True)
    assert {e.tenant_name for e in page.items} == {"default_tenant"}
    assert all(e.parameters == {} and not e.is_system_workflow for e in page.items)


async def test_history_filters_are_sent_to_the_manager(recorded: Recorded) -> None:
    """Status, workflow and deployment are the manager's filters, each on the wire, and
    what comes back is only what matches."""
    client, transport = recorded
    mark = len(transport.requests)
    failed = await read_fleet(client, parse_filter("failed,cancelled", HISTORY, NOW))
    assert [(e.deployment_id, e.workflow_id) for e in failed.items] == [
        ("web-canary", "install"),
        ("db-main", "backup"),
    ]
    assert failed.total == 2
    query = parse_filter("w:install d:web-prod status:completed", HISTORY, NOW)
    install = await read_fleet(client, query, offset=0, size=10)
    assert [(e.deployment_id, e.workflow_id, e.status) for e in install.items] == [
        ("web-prod", "install", "terminated")
    ]
    assert install.total == 1
    assert transport.sent(mark) == [
        ("GET", EXECUTIONS, wire(("failed", "cancelled"))),
        (
            "GET",
            EXECUTIONS,
            wire(
                ("terminated",),
                named=(("deployment_id", "web-prod"), ("workflow_id", "install")),
                size=10,
            ),
        ),
    ]


async def test_a_filter_nothing_matches_is_an_empty_page(recorded: Recorded) -> None:
    """No execution of that workflow: an empty page, not an error."""
    client, _ = recorded
    page = await read_fleet(client, parse_filter("w:no_such_workflow", HISTORY, NOW))
    assert page == FleetPage(items=(), total=0, offset=0)


async def test_pages_follow_one_another_to_the_total(recorded: Recorded) -> None:
    """A page at a time: each asks for its own offset and size, they do not overlap,
    together they are the whole history, and past the end is an empty page."""
    client, transport = recorded
    whole = await whole_history(client)
    mark = len(transport.requests)
    pages = [await read_fleet(client, HISTORY, offset=offset, size=5) for offset in (0, 5, 10, 15)]
    assert [p.offset for p in pages] == [0, 5, 10, 15]
    assert [p.total for p in pages] == [17] * 4
    assert [len(p.items) for p in pages] == [5, 5, 5, 2]
    assert [e.id for p in pages for e in p.items] == [e.id for e in whole.items]
    assert [q for _, _, q in transport.sent(mark)] == [
        wire((), size=5, offset=offset) for offset in (0, 5, 10, 15)
    ]
    beyond = await read_fleet(client, HISTORY, offset=17, size=5)
    assert beyond == FleetPage(items=(), total=17, offset=17)


async def test_since_keeps_what_was_created_at_or_after_the_bound(recorded: Recorded) -> None:
    """The manager has no time filter: a page is read whole and cut at the first
    execution older than `since`, which says there is nothing more to read. An
    execution created exactly at the bound is kept."""
    client, transport = recorded
    whole = await whole_history(client)
    fifth = parse_time(whole.items[4].created_at)
    assert fifth is not None and parse_time(whole.items[5].created_at) != fifth
    ids = [e.id for e in whole.items]

    at = await read_fleet(client, replace_since(fifth))
    assert [e.id for e in at.items] == ids[:5]
    assert (at.total, at.offset, at.range_ended) == (17, 0, True)

    after = await read_fleet(client, replace_since(fifth + timedelta(microseconds=1)))
    assert [e.id for e in after.items] == ids[:4]
    assert after.range_ended

    mark = len(transport.requests)
    oldest = parse_time(whole.items[-1].created_at)
    assert oldest is not None
    everything = await read_fleet(client, replace_since(oldest))
    assert [e.id for e in everything.items] == ids and not everything.range_ended
    # `since` is not sent: the manager would refuse or ignore it.
    assert transport.sent(mark) == [("GET", EXECUTIONS, wire(()))]

    future = await read_fleet(client, replace_since(datetime(2999, 1, 1, tzinfo=UTC)))
    assert (future.items, future.total, future.range_ended) == ((), 17, True)


async def test_since_ends_the_range_only_on_the_page_that_crosses_it(
    recorded: Recorded,
) -> None:
    """Paging with `since`: a page wholly inside the range does not end it; the page
    that reaches older executions ends it, keeping the newer part."""
    client, _ = recorded
    whole = await whole_history(client)
    fifth = parse_time(whole.items[4].created_at)
    assert fifth is not None
    query = replace_since(fifth)
    first = await read_fleet(client, query, offset=0, size=3)
    second = await read_fleet(client, query, offset=3, size=3)
    assert [e.id for e in first.items] == [e.id for e in whole.items[:3]]
    assert not first.range_ended
    assert [e.id for e in second.items] == [e.id for e in whole.items[3:5]]
    assert (second.offset, second.range_ended) == (3, True)


def replace_since(since: datetime) -> FleetQuery:
    return FleetQuery(view="history", since=since)


async def test_all_tenants_reads_every_tenant_in_one_request(recorded: Recorded) -> None:
    """`_all_tenants=true` right after the system switch; rows say their tenant."""
    client, transport = recorded
    mark = len(transport.requests)
    page = await read_fleet(client, FleetQuery(view="history", all_tenants=True), size=100)
    sent = transport.sent(mark)
    assert sent == [
        (
            "GET",
            EXECUTIONS,
            [
                ("_include_system_workflows", "true"),
                ("_all_tenants", "true"),
                *wire((), size=100)[1:],
            ],
        )
    ]
    assert page.total == 23 == len(page.items)
    assert {e.tenant_name for e in page.items} == set(TENANTS)
    eu = [(e.deployment_id, e.workflow_id) for e in page.items if e.tenant_name == TENANTS[1]]
    assert ("web-eu", "install") in eu and ("db-eu", "create_deployment_environment") in eu


@pytest.mark.parametrize(
    ("tenant", "password", "error"),
    [
        (
            "no_such_tenant",
            PASSWORDS["admin"],
            "Authorization failed: Tried to authenticate with invalid tenant name: no_such_tenant",
        ),
        (
            "default_tenant",
            "wrong",
            "User unauthorized: Authentication failed for <User username=`admin`>. "
            "Wrong credentials or locked account",
        ),
    ],
    ids=["tenant", "password"],
)
async def test_a_refused_read_is_a_page_that_says_why(
    module_manager: ManagerProcess, tenant: str, password: str, error: str
) -> None:
    """The screen shows the manager's message and keeps the page's offset; nothing is
    raised to the screen."""
    async with ManagerClient(
        module_manager.url, username="admin", password=password, tenant=tenant
    ) as client:
        page = await read_fleet(client, HISTORY, offset=5)
    assert page == FleetPage(items=(), total=0, offset=5, range_ended=False, error=error)


async def test_an_unreachable_manager_is_a_page_that_says_why(tmp_path: Path) -> None:
    """No answer at all (the manager stopped): a transport error, as a page's error."""
    proc = ManagerProcess(data=tmp_path / "gone").start()
    url = proc.url
    proc.stop()
    async with ManagerClient(url, username="admin", password=PASSWORDS["admin"]) as client:
        page = await read_fleet(client, FleetQuery(), offset=2)
    assert (page.items, page.total, page.offset, page.range_ended) == ((), 0, 2, False)
    assert page.error and url in page.error


# -- read_fleet with executions that do not end --------------------------------------------


@pytest.fixture
def still(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A manager whose clock barely moves: what is started stays pending or queued for
    the whole test."""
    proc = ManagerProcess(data=tmp_path / "still", speed=0.001).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def still_recorded(still: ManagerProcess) -> AsyncIterator[Recorded]:
    async with recording_client(still.url) as pair:
        yield pair


async def test_running_now_lists_system_and_deployment_runs_newest_first(
    still: ManagerProcess, still_recorded: Recorded
) -> None:
    """A snapshot (a system workflow, no deployment) holds the queue; a deployment's
    run started after it waits. Both are running now, newest first; status words
    narrow the view to one of them; history with the same word agrees."""
    client, transport = still_recorded
    with http(still) as h:
        response = h.put("/snapshots/nightly", json={})
        assert response.status_code == 201, response.text
    snapshot = response.json()["id"]
    waiting = start_via_http(still, "web-prod", "check_status")["id"]

    mark = len(transport.requests)
    page = await read_fleet(client, FleetQuery())
    assert transport.sent(mark) == [("GET", EXECUTIONS, wire())]
    assert [(e.id, e.status, e.is_system_workflow) for e in page.items] == [
        (waiting, "queued", False),
        (snapshot, "pending", True),
    ]
    assert page.total == 2 and not page.range_ended and not page.error
    system = page.items[1]
    assert (system.workflow_id, system.deployment_id, system.tenant_name) == (
        "create_snapshot",
        "",
        "default_tenant",
    )

    queued = await read_fleet(client, parse_filter("waiting", FleetQuery(), NOW))
    assert [e.id for e in queued.items] == [waiting] and queued.total == 1
    pending = await read_fleet(client, parse_filter("running failed", FleetQuery(), NOW))
    assert [e.id for e in pending.items] == [snapshot]
    mine = await read_fleet(client, parse_filter("d:web-prod", FleetQuery(), NOW))
    assert [e.id for e in mine.items] == [waiting]
    history = await read_fleet(client, parse_filter("s:running,waiting", HISTORY, NOW))
    assert [e.id for e in history.items] == [waiting, snapshot]
    assert [q for _, _, q in transport.sent(mark + 1)] == [
        wire(("queued", "scheduled")),
        wire(("pending", "started")),
        wire(named=(("deployment_id", "web-prod"),)),
        wire(("pending", "started", "queued", "scheduled")),
    ]
