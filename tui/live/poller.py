"""The one poller of the UI: a single sequential loop that keeps a `Snapshot` fresh.

Why one loop and not a timer per widget: the requests of a tick are made one after
the other, so there is never more than one request of a kind in flight, a slow
manager slows the loop down instead of piling requests up (fixed delay, not fixed
rate), and the cost of a tick is a constant number of requests however many
deployments the manager holds (textual-stack-notes §1.5: `set_interval` plus an
exclusive worker starves when requests are slower than the interval).

The UI calls `select`, `set_search`, `refresh_now`, `pause`, `resume` and
`note_started` from its event loop; they only record intent, publish what can be known
at once, and wake the loop. Everything the manager says goes through `run`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from tui.api.client import ACTIVE_EXECUTION_FIELDS, DEPLOYMENT_DETAIL_FIELDS, ManagerClient
from tui.api.errors import ApiError, Forbidden, ManagerError, NotFound, Unauthorized
from tui.api.models import (
    ACTIVE_STATES,
    UNFINISHED_STATES,
    WAITING_STATES,
    Deployment,
    Execution,
    Page,
)
from tui.api.queries import DeploymentQuery
from tui.live import deployment_filter
from tui.live.backoff import Backoff
from tui.live.snapshot import ConnectionState, Snapshot

log = logging.getLogger(__name__)

T = TypeVar("T")

# The load budget of a tick (issue 9): at most this many requests, whatever the number
# of deployments or executions. Two are fixed (the running executions, the selected
# deployment's executions); the rest go to what is due, most needed first, and what
# does not fit waits for the next tick, which then comes at the fast interval.
TICK_BUDGET = 3
# A refresh the user asked for (`r`, after a cancel, new credentials) reads everything
# at once: the page, the detail and the counts beside the two fixed requests.
REFRESH_BUDGET = 5
# Running executions (not waiting ones) across all deployments, newest first: one
# page, only the fields the panes show. More than this is said on screen ("120
# running, 20 not listed"), never cut silently; waiting ones are only counted.
ACTIVE_PAGE = 100
RUNNING_STATES = tuple(sorted(ACTIVE_STATES))


def where(search: str) -> DeploymentQuery | None:
    """The manager's filtering for the typed filter (the screen checked it reads; a
    text that does not is taken as a piece of the id)."""
    if not search:
        return None
    try:
        return deployment_filter.parse(search)
    except deployment_filter.FilterError:
        return DeploymentQuery(text=search)


# Nothing runs, nothing changed and nobody asked for anything for QUIET_AFTER seconds:
# a tick every QUIET_FACTOR slow intervals (15 s by default), three requests each, 12 a
# minute, until anything changes or a key asks (issue 14: an idle app on a management
# host costs the manager next to nothing). An app just opened is quiet: its first data
# is no change, and the cursor's first row is no ask.
QUIET_AFTER = 60.0
QUIET_FACTOR = 3.0
# The snapshot fields whose change keeps the poller from going quiet ("executions" first:
# a new selection's first read is left out).
CHANGE_KEYS = ("executions", "active", "deployments", "deployments_total", "waiting_total")

# The deployments list's order until the user sorts: by id, as the CLI lists them.
DEFAULT_SORT: tuple[str, ...] = ("id",)
WAITING_LIST = tuple(sorted(WAITING_STATES))
# Reconnection is tried at least this often while the manager does not answer (and at
# once on `refresh_now`): an operator waiting for a restarted manager should not wait
# half a minute for the screen to notice.
MAX_BACKOFF = 5.0
# Finding the page that holds a deployment reads ids only, this many per request (the
# real manager's default `max_results`), and gives up after LOCATE_PAGES requests.
LOCATE_SIZE = 1000
LOCATE_PAGES = 20


@dataclass
class _Due:
    """What the next ticks owe the UI beyond the two fixed requests."""

    # The deployments list is due when asked for (`wanted` > `done`) or on time.
    deployments_wanted: int = 1
    deployments_done: int = 0
    deployments_at: float | None = None
    # Deployments of the page shown whose rows are due to be re-read (by id).
    rows: set[str] = field(default_factory=set)
    # The selected deployment's detail: re-read when asked (`r`), on a new selection,
    # or when its signature (`Poller._signature`) moved since the last read.
    detail_wanted: bool = False
    detail_signature: tuple[Any, ...] | None = None
    # A part was due but did not fit in the last tick's budget.
    deferred: bool = False


class _Spare:
    """The requests a tick may still send beyond its fixed ones."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self) -> bool:
        """One request, if any is left."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True


@dataclass(frozen=True)
class _Fetched:
    """What one tick learned, before it is merged into the snapshot."""

    active: tuple[Execution, ...]
    executions: tuple[Execution, ...] | None  # None: nothing is selected
    detail: Deployment | None
    detail_fetched: bool
    gone: bool  # the selected deployment answered 404
    deployments: tuple[Deployment, ...] | None  # None: not due this tick
    deployments_total: int
    watched: tuple[Execution, ...] = ()
    deployments_offset: int = 0
    # The parts the manager refused this tick (what, why): the rest is still used.
    problems: tuple[str, ...] = ()
    executions_failed: bool = False
    # Rows of the page shown, re-read by id (their deployment began or ended a run).
    rows: tuple[Deployment, ...] = ()
    running_total: int | None = None  # None: not learnt this tick
    running_listed: int = 0
    waiting_total: int | None = None


class Poller:
    """Polls one manager and publishes immutable snapshots to `on_snapshot`."""

    def __init__(
        self,
        client: ManagerClient,
        *,
        on_snapshot: Callable[[Snapshot], None],
        fast_interval: float,  # no defaults: the user's settings (tui/config) give them
        slow_interval: float,
        deployments_interval: float = 10.0,
        max_backoff: float = MAX_BACKOFF,
        executions_page: int = 50,
        deployments_page: int = 200,
        active_page: int = ACTIVE_PAGE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        first_backoff: float = 1.0,
    ) -> None:
        self._client = client
        self._on_snapshot = on_snapshot
        self.fast_interval = fast_interval
        self.slow_interval = slow_interval
        self.deployments_interval = deployments_interval
        self.quiet_after = QUIET_AFTER  # tests shrink these two
        self.quiet_interval: float | None = None  # None: QUIET_FACTOR slow intervals
        self.executions_page = executions_page
        self.deployments_page = deployments_page
        self.active_page = active_page
        self._clock = clock
        self._sleep: Callable[[float], Awaitable[Any]] = sleep or asyncio.sleep
        self._backoff = Backoff(first=first_backoff, cap=max_backoff)
        self._wake = asyncio.Event()
        # The data's last change or the UI's last ask; None: neither since opening.
        self._changed_at: float | None = None
        self._asked = False  # a wake-up since the last tick came from the user
        self.snapshot = Snapshot()
        self._search = ""  # the filter asked for (the selection: `snapshot.selected`)
        # The list's order (`_sort` keys), and the one the tick in flight asked for.
        self._sort: tuple[str, ...] = DEFAULT_SORT
        self._tick_sort: tuple[str, ...] = DEFAULT_SORT
        self._deployments_offset = 0
        # A deployment to keep on screen when the list changes: its page is fetched.
        self._keep: str | None = None
        self._paused = False
        # True while a tick's requests are in flight (pause lets one finish).
        self.ticking = False
        self._refresh_pending = False
        self._selection_seq = 0  # tells a tick whether the selection changed meanwhile
        self._loaded_seq = -1  # the selection that `detail` / `executions` belong to
        # Executions the UI started, kept visible until a tick that began after the
        # start has answered (an older answer cannot know them yet).
        self._noted: dict[str, tuple[Execution, int]] = {}
        # Refused credentials or tenant: "credentials" / "tenant" while stopped for it.
        self._refused = ""
        self._worked = False  # a tick has succeeded with the current credentials
        self._confirming = False  # the one retry after credentials that worked
        self._ticks = 0
        self._requests = 0
        self._last_requests = 0
        self._watched: tuple[str, ...] = ()
        self._budget = TICK_BUDGET
        self._due = _Due()

    # -- what the UI calls ---------------------------------------------------------------
    @property
    def requests_per_tick(self) -> int:
        """Requests made by the last tick (a failed tick counts the ones it tried)."""
        return self._last_requests

    def select(self, deployment_id: str | None) -> None:
        """Show another deployment: its old rows go at once, new ones on the next tick."""
        if deployment_id == self.snapshot.selected:
            return
        first = self.snapshot.selected is None
        self._selection_seq += 1
        self._publish(selected=deployment_id, detail=None, executions=())
        if first:  # the cursor's first row once the list came: read now, no ask
            self._wake.set()
        else:
            self._ask()

    def set_search(self, text: str, keep: str | None = None) -> None:
        """Filter deployments server-side (`_search`); `snapshot.search` follows the list.

        `keep`: the deployment under the cursor. When the new list still holds it, the
        page that holds it is shown (not the first one), so the cursor can stay on it."""
        if text == self._search:
            return
        self._search = text
        self._keep = keep
        self._deployments_offset = 0
        self._due.deployments_wanted += 1
        self._ask()

    def set_sort(self, sort: tuple[str, ...], keep: str | None = None) -> None:
        """Order deployments server-side (`_sort`, `-` for descending); `snapshot.sort`
        follows the list. `keep`: as for `set_search`, its page is shown."""
        sort = tuple(sort) or DEFAULT_SORT
        if sort == self._sort:
            return
        self._sort = sort
        self._keep = keep
        self._deployments_offset = 0
        self._due.deployments_wanted += 1
        self._ask()

    def show_deployments_from(self, offset: int) -> None:
        """Page through deployments: the list holds one page (`deployments_page` rows)
        from `offset`, fetched from the manager, never every deployment at once."""
        offset = max(0, offset)
        if offset == self._deployments_offset:
            return
        self._deployments_offset = offset
        self._keep = None
        self._due.deployments_wanted += 1
        self._ask()

    def refresh_now(self) -> None:
        """Fetch everything now; while paused, exactly one tick, then paused again."""
        self._due.deployments_wanted += 1
        self._due.detail_wanted = True
        self._refresh_pending = True
        self._ask()

    @property
    def refused(self) -> str:
        """ "credentials" or "tenant" while polling is stopped because the manager
        refused them; "" otherwise."""
        return self._refused

    def credentials_changed(self) -> None:
        """New credentials (or tenant) were given: poll again, once, now. A refusal
        of the new ones stops at once: they never worked, so nothing confirms them."""
        self._refused = ""
        self._worked = False
        self._confirming = False
        self._backoff.reset()
        self.refresh_now()

    def pause(self) -> None:
        """No requests until `resume` (a tick already in flight still finishes)."""
        if self._paused:
            return
        self._paused = True
        self._publish()

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        self._publish()
        self._ask()

    def note_started(self, execution: Execution) -> None:
        """The UI started `execution`: show it now and poll fast, without waiting a tick."""
        self._noted[execution.id] = (execution, self._ticks)
        snap = self.snapshot
        fields: dict[str, Any] = {}
        if execution.is_unfinished:
            fields["active"] = _with_first(snap.active, [execution])
        if execution.deployment_id == snap.selected:
            fields["executions"] = _with_first(snap.executions, [execution])
        self._publish(**fields)
        self._ask()

    def watch(self, execution_ids: Iterable[str]) -> None:
        """Keep these executions' states in `snapshot.watched`, whatever deployment they
        belong to. Costs one request on ticks where a watched execution is not in the
        active list and its end state is not known yet, whatever their number."""
        ids = tuple(dict.fromkeys(execution_ids))
        if ids == self._watched:
            return
        self._watched = ids
        known = {e.id: e for e in self.snapshot.watched}
        self._publish(watched=tuple(known[i] for i in ids if i in known))
        self._ask()

    def _ask(self) -> None:
        """The user asked for something: a tick now, and not quiet for a while."""
        self._asked = True
        self._wake.set()

    # -- the loop ------------------------------------------------------------------------
    async def run(self) -> None:
        """Tick, publish, sleep, forever. Only cancellation ends it.

        Run one at a time per poller (the sequential loop is what keeps one request of
        a kind in flight); restarting it after a cancel is fine, the state is kept.
        """
        while True:
            if (not self._paused and not self._refused) or self._refresh_pending:
                self.ticking = True
                try:
                    await self._tick()
                finally:
                    self.ticking = False
            await self._wait(self._delay())

    def _delay(self) -> float | None:
        """Seconds until the next tick; None: only a wake-up starts one (paused)."""
        if self._refresh_pending:
            return 0.0
        if self._paused or self._refused:
            return None
        if self._backoff.failures:
            return self._backoff.delay
        busy = self.snapshot.active or any(e.is_unfinished for e in self.snapshot.executions)
        if busy or self._due.deferred:
            return self.fast_interval
        changed_at = self._changed_at
        if changed_at is None or self._clock() - changed_at >= self.quiet_after:
            if self.quiet_interval is not None:
                return self.quiet_interval
            return QUIET_FACTOR * self.slow_interval
        return self.slow_interval

    async def _wait(self, delay: float | None) -> None:
        """Sleep `delay` (injectable) unless woken first; wake-ups are never lost."""
        if not self._wake.is_set() and delay != 0:
            tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
            if delay is not None:
                tasks.append(asyncio.ensure_future(self._sleep(delay)))
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks)
                for task in tasks:
                    if not task.cancelled() and task.exception() is not None:
                        log.error("poller sleep failed", exc_info=task.exception())
        if self._asked:  # asked for (a key, a start): not quiet any more
            self._changed_at = self._clock()
            self._asked = False
        # Cleared before the tick: a call made during the tick wakes the next one.
        self._wake.clear()

    async def _tick(self) -> None:
        self._ticks += 1
        self._requests = 0
        self._budget = REFRESH_BUDGET if self._refresh_pending else TICK_BUDGET
        self._refresh_pending = False
        selected = self.snapshot.selected
        selection_seq = self._selection_seq
        search = self._search
        self._tick_sort = self._sort
        wanted = self._due.deployments_wanted
        try:  # the commit too: a bug in it must not end the loop either
            fetched = await self._fetch(selected, selection_seq, search, wanted)
            self._commit(fetched, selected, selection_seq, search, wanted)
        except Unauthorized as exc:
            self._refusal("credentials", exc.message or "the manager refused the credentials")
        except Forbidden as exc:
            self._refusal("tenant", exc.message or "the manager refused the tenant")
        except ApiError as exc:
            self._failed(exc.message or type(exc).__name__)
        except Exception as exc:  # a bug must not end the loop: show it and keep going
            log.exception("poller tick failed")
            self._failed(f"{type(exc).__name__}: {exc}")

    async def _call(self, request: Awaitable[T]) -> T:
        self._requests += 1
        return await request

    async def _part(self, request: Awaitable[T], what: str, problems: list[str]) -> T | None:
        """One request of the tick. A manager that refuses this one request (a 4xx or
        5xx answer) does not cost the others their data: the refusal is noted, this
        part keeps its previous data, the rest of the tick goes on. Refused
        credentials and an unreachable manager still end the tick."""
        try:
            return await self._call(request)
        except (Unauthorized, Forbidden, NotFound):
            raise
        except ManagerError as exc:
            problems.append(f"{what}: {exc.message or type(exc).__name__}")
            return None

    async def _fetch(
        self, selected: str | None, selection_seq: int, search: str, wanted: int
    ) -> _Fetched:
        """One tick's requests: the two fixed ones (running executions, the selected
        deployment's executions), then what is due, most needed first, within the
        budget. A part that does not fit stays due and the next tick comes soon."""
        problems: list[str] = []
        running, active, ended, began = await self._fetch_active(problems)
        same_selection = self._loaded_seq == selection_seq
        executions, executions_failed = await self._fetch_executions(
            selected, same_selection, ended, problems
        )
        spare = _Spare(self._budget - self._requests)
        shown = {d.id for d in self.snapshot.deployments}
        self._due.rows |= (ended | began) & shown
        deployments_due, page, rows = await self._fetch_deployments(spare, search, wanted, problems)
        deployments, total, deployments_offset = page or (None, 0, 0)
        signature = self._signature(
            selected, deployments or self.snapshot.deployments, rows, executions
        )
        detail, detail_fetched, gone, detail_deferred = await self._fetch_detail(
            spare, selected, same_selection, signature, problems
        )
        watched, watched_deferred = await self._fetch_watched_due(
            spare, active, executions or (), problems
        )
        waiting_total = await self._fetch_waiting(spare, problems)
        self._due.deferred = (
            bool(self._due.rows)
            or detail_deferred
            or watched_deferred
            or (deployments_due and deployments is None and not problems)
        )
        return _Fetched(
            active,
            executions,
            detail,
            detail_fetched,
            gone,
            deployments,
            total,
            watched,
            deployments_offset,
            tuple(problems),
            executions_failed,
            rows,
            running.total if running is not None else None,
            len(running.items) if running is not None else 0,
            waiting_total,
        )

    async def _fetch_active(
        self, problems: list[str]
    ) -> tuple[Page[Execution] | None, tuple[Execution, ...], set[str], set[str]]:
        """The running executions (system ones too), and the deployments whose run
        ended or began since the last tick."""
        prev = self.snapshot
        running = await self._part(
            self._client.list_executions(
                statuses=RUNNING_STATES,
                size=self.active_page,
                sort=("-created_at",),
                include=ACTIVE_EXECUTION_FIELDS,
                # A running system workflow (a snapshot) is why starts queue: it comes
                # with the running ones, at no extra request.
                include_system=True,
            ),
            "running executions",
            problems,
        )
        active = _with_first(running.items if running else prev.active, self._unconfirmed_starts())
        now_active = {e.id for e in active}
        ended = {e.deployment_id for e in prev.active if e.id not in now_active}
        # A deployment that became busy (a start, a dequeue) has a new latest execution
        # and status: its row is re-read in the same tick (budget allowing), so the
        # row's columns all come from one answer instead of the status lagging the
        # running execution.
        began = {e.deployment_id for e in active if e.status not in WAITING_STATES} - {
            e.deployment_id for e in prev.active if e.status not in WAITING_STATES
        }
        return running, active, ended, began

    async def _fetch_executions(
        self, selected: str | None, same_selection: bool, ended: set[str], problems: list[str]
    ) -> tuple[tuple[Execution, ...] | None, bool]:
        """The selected deployment's newest executions, and whether that read failed;
        one of them that ended since the last tick marks the deployment's row due."""
        if selected is None:
            return None, False
        recent = await self._part(
            self._client.list_executions(deployment_id=selected, size=self.executions_page),
            f"executions of {selected}",
            problems,
        )
        if recent is None:
            return None, True
        if same_selection:
            before = {e.id: e.status for e in self.snapshot.executions}
            if any(e.is_ended and before.get(e.id) in UNFINISHED_STATES for e in recent.items):
                ended.add(selected)
        return recent.items, False

    async def _fetch_deployments(
        self, spare: _Spare, search: str, wanted: int, problems: list[str]
    ) -> tuple[bool, tuple[tuple[Deployment, ...], int, int] | None, tuple[Deployment, ...]]:
        """The page of deployments when it is due (the page holds every row anew), else
        the rows due alone: (was the page due, the page, the rows)."""
        deployments_due = (
            self._due.deployments_done < wanted
            or self._due.deployments_at is None
            or self._clock() - self._due.deployments_at >= self.deployments_interval
        )
        page = None
        if deployments_due and spare.take():
            self._due.rows.clear()
            page = await self._deployments_page(search, problems)
        rows: tuple[Deployment, ...] = ()
        if self._due.rows and spare.take():
            wanted_rows = sorted(self._due.rows)
            self._due.rows.clear()
            found = await self._part(
                self._client.list_deployments(ids=wanted_rows, size=len(wanted_rows), offset=0),
                "deployments that began or ended a run",
                problems,
            )
            rows = found.items if found is not None else ()
        return deployments_due, page, rows

    async def _fetch_detail(
        self,
        spare: _Spare,
        selected: str | None,
        same_selection: bool,
        signature: tuple[Any, ...],
        problems: list[str],
    ) -> tuple[Deployment | None, bool, bool, bool]:
        """The selected deployment's detail when it may have changed: (detail, fetched,
        gone, deferred for want of budget)."""
        due = selected is not None and (
            not same_selection or self._due.detail_wanted or signature != self._due.detail_signature
        )
        if selected is None or not due:
            return None, False, False, False
        if not spare.take():
            return None, False, False, True
        self._due.detail_wanted = False
        try:
            detail = await self._part(
                self._client.get_deployment(selected, include=DEPLOYMENT_DETAIL_FIELDS),
                f"deployment {selected}",
                problems,
            )
        except NotFound:
            return None, False, True, False  # deleted: not a connection problem
        if detail is None:
            return None, False, False, True
        self._due.detail_signature = signature
        return detail, True, False, False

    async def _fetch_watched_due(
        self,
        spare: _Spare,
        active: tuple[Execution, ...],
        executions: tuple[Execution, ...],
        problems: list[str],
    ) -> tuple[tuple[Execution, ...], bool]:
        """The watched executions, read when some are neither listed this tick nor
        known to have ended: (watched, deferred for want of budget)."""
        if not self._watched:
            return (), False
        missing = self._watched_missing(active, executions)
        if missing and spare.take():
            return await self._fetch_watched(active, executions, problems), False
        return self._merge_watched(active, executions), bool(missing)

    async def _fetch_waiting(self, spare: _Spare, problems: list[str]) -> int | None:
        """How many executions wait (queued or scheduled) on the whole manager."""
        if not spare.take():
            return None
        waiting = await self._part(
            self._client.list_executions(statuses=WAITING_LIST, size=0, sort=(), include=("id",)),
            "waiting executions",
            problems,
        )
        return waiting.total if waiting is not None else None

    async def _deployments_page(
        self, search: str, problems: list[str]
    ) -> tuple[tuple[Deployment, ...], int, int] | None:
        """The page of deployments shown: (rows, total, offset); None when refused.
        Usually one request; a filter that must find the kept deployment's page, or a
        page past the end after deletions, costs more, once."""
        client = self._client
        offset = self._deployments_offset
        keep = self._keep
        if keep is not None:
            self._keep = None
            located = await self._locate(keep, search)
            if located is not None:
                offset = self._deployments_offset = located
        page = await self._part(
            client.list_deployments(
                size=self.deployments_page,
                offset=offset,
                where=where(search),
                sort=self._tick_sort,
            ),
            "deployments",
            problems,
        )
        if page is not None and not page.items and offset and page.total:
            # Past the end (deployments were deleted): show the last page instead.
            offset = max(0, page.total - self.deployments_page)
            self._deployments_offset = offset
            page = await self._part(
                client.list_deployments(
                    size=self.deployments_page,
                    offset=offset,
                    where=where(search),
                    sort=self._tick_sort,
                ),
                "deployments",
                problems,
            )
        if page is None:
            return None
        return page.items, page.total, offset

    @staticmethod
    def _signature(
        selected: str | None,
        deployments: Iterable[Deployment],
        rows: Iterable[Deployment],
        executions: tuple[Execution, ...] | None,
    ) -> tuple[Any, ...]:
        """What tells that the selected deployment's detail may have changed: its list
        row (`updated_at`, latest execution and its status, the statuses) and its
        newest execution with its status. Equal signatures: no re-read."""
        row = next((d for d in (*rows, *deployments) if d.id == selected), None)
        newest = (executions[0].id, executions[0].status) if executions else None
        return (selected, row, newest)

    async def _locate(self, deployment_id: str, search: str) -> int | None:
        """The offset of the page (of `deployments_page` rows) that holds
        `deployment_id` in the list filtered by `search`; None when it is not there.

        Asks first whether the list holds it at all (one request), then reads ids only,
        in the list's own order, so the page boundaries are the ones that paging uses."""
        member = await self._call(
            self._client.list_deployments(
                size=1, ids=[deployment_id], where=where(search), include=("id",)
            )
        )
        if not member.items:
            return None
        position = 0
        for _ in range(LOCATE_PAGES):
            page = await self._call(
                self._client.list_deployments(
                    size=LOCATE_SIZE,
                    offset=position,
                    where=where(search),
                    include=("id",),
                    sort=self._tick_sort,
                )
            )
            for index, deployment in enumerate(page.items):
                if deployment.id == deployment_id:
                    at = position + index
                    return at - at % self.deployments_page
            position += len(page.items)
            if not page.items or position >= page.total:
                return None
        return None

    def _watched_missing(
        self, active: tuple[Execution, ...], executions: tuple[Execution, ...]
    ) -> list[str]:
        """Watched executions neither listed this tick nor known to have ended."""
        fresh = {e.id for e in (*executions, *active)}
        known = {e.id: e for e in self.snapshot.watched}
        return [
            i
            for i in self._watched
            if i not in fresh and (i not in known or known[i].is_unfinished)
        ]

    def _merge_watched(
        self,
        active: tuple[Execution, ...],
        executions: tuple[Execution, ...],
        extra: Iterable[Execution] = (),
    ) -> tuple[Execution, ...]:
        fresh = {e.id: e for e in (*executions, *active, *extra)}
        known = {e.id: e for e in self.snapshot.watched}
        merged = {**known, **fresh}
        return tuple(merged[i] for i in self._watched if i in merged)

    async def _fetch_watched(
        self,
        active: tuple[Execution, ...],
        executions: tuple[Execution, ...],
        problems: list[str],
    ) -> tuple[Execution, ...]:
        if not self._watched:
            return ()
        missing = self._watched_missing(active, executions)
        extra: tuple[Execution, ...] = ()
        if missing:
            page = await self._part(
                self._client.list_executions(ids=missing, size=len(missing), sort=()),
                "watched executions",
                problems,
            )
            if page is not None:
                extra = page.items
        return self._merge_watched(active, executions, extra)

    def _unconfirmed_starts(self) -> list[Execution]:
        """Starts noted (`note_started`) since the current tick began, not yet listed by
        the manager: shown meanwhile; older notes are answered by the lists."""
        self._noted = {k: v for k, v in self._noted.items() if v[1] >= self._ticks}
        return [execution for execution, _ in self._noted.values()]

    def _commit(
        self, fetched: _Fetched, selected: str | None, selection_seq: int, search: str, wanted: int
    ) -> None:
        now = self._clock()
        selection_read_before = self._loaded_seq == selection_seq
        self._backoff.reset()
        self._worked = True
        self._confirming = False
        self._refused = ""
        unconfirmed = self._unconfirmed_starts()
        fields: dict[str, Any] = {
            "active": _with_first(fetched.active, [e for e in unconfirmed if e.is_unfinished]),
            "connection": ConnectionState(connected=True, error="; ".join(fetched.problems)),
            "updated_at": now,
            "missing_fields": tuple(
                (resource, name, why)
                for resource, missing in self._client.fields.missing().items()
                for name, why in missing.items()
            ),
        }
        if self._watched:
            fields["watched"] = tuple(e for e in fetched.watched if e.id in self._watched)
        # Data about a selection the user has already left must not reach the screen.
        if selection_seq == self._selection_seq and selected is not None:
            if fetched.gone:
                fields.update(detail=None, executions=())
                # Its row goes on the next tick, and the cursor with it.
                self._due.deployments_wanted += 1
            elif not fetched.executions_failed:
                mine = [e for e in unconfirmed if e.deployment_id == selected]
                fields["executions"] = _with_first(fetched.executions or (), mine)
            if fetched.detail_fetched:
                fields["detail"] = fetched.detail
            self._loaded_seq = selection_seq
        if fetched.running_total is not None:
            fields.update(
                running_total=fetched.running_total, running_listed=fetched.running_listed
            )
        if fetched.waiting_total is not None:
            fields["waiting_total"] = fetched.waiting_total
        if fetched.rows and fetched.deployments is None:
            fresh = {d.id: d for d in fetched.rows}
            fields["deployments"] = tuple(fresh.get(d.id, d) for d in self.snapshot.deployments)
        if fetched.deployments is not None:
            fields.update(
                deployments=fetched.deployments,
                deployments_total=fetched.deployments_total,
                deployments_offset=fetched.deployments_offset,
                search=search,
                sort=self._tick_sort,
            )
            self._due.deployments_done = max(self._due.deployments_done, wanted)
            self._due.deployments_at = now
        self._last_requests = self._requests
        if self._changed(fields, selection_read_before):
            self._changed_at = now
        self._publish(**fields)

    def _changed(self, fields: dict[str, Any], selection_read_before: bool) -> bool:
        """Whether a tick's data differs from what is shown: a run began or ended, a
        deployment came or went. The first data after opening and a new selection's
        first executions are no change: nothing happened on the manager to follow up."""
        if self.snapshot.updated_at is None:
            return False
        keys = CHANGE_KEYS if selection_read_before else CHANGE_KEYS[1:]
        return any(key in fields and fields[key] != getattr(self.snapshot, key) for key in keys)

    def _refusal(self, kind: str, message: str) -> None:
        """The manager refused the credentials (401) or the tenant (403).

        Never retried on a timer: a real manager counts each refused login and can
        lock the account, for the CLI and the web console too. Credentials that worked
        until now get exactly one confirming retry (a manager restarting, a token being
        renewed); then, and at once for anything else, polling stops until the user
        gives new credentials or another tenant (`credentials_changed`)."""
        self._last_requests = self._requests
        failures = self._backoff.failures + 1
        if kind == "credentials" and self._worked and not self._confirming:
            self._confirming = True
            delay = self._backoff.fail()
            self._publish(
                connection=ConnectionState(
                    connected=False,
                    error=f"{message} (checking once more)",
                    retry_at=self._clock() + delay,
                    failures=failures,
                )
            )
            return
        self._confirming = False
        self._refused = kind
        self._publish(
            connection=ConnectionState(
                connected=False, error=message, failures=failures, refused=kind
            )
        )

    def _failed(self, message: str) -> None:
        """Keep the data, say why, and when the next try is."""
        delay = self._backoff.fail()
        self._last_requests = self._requests
        self._publish(
            connection=ConnectionState(
                connected=False,
                error=message,
                retry_at=self._clock() + delay,
                failures=self._backoff.failures,
            )
        )

    def _publish(self, **fields: Any) -> None:
        """A new snapshot (never a mutated one); `paused` always mirrors the poller."""
        self.snapshot = replace(
            self.snapshot, paused=self._paused, generation=self.snapshot.generation + 1, **fields
        )
        try:
            self._on_snapshot(self.snapshot)
        except Exception:  # the UI's callback must not stop the loop
            log.exception("on_snapshot callback failed")


def _with_first(items: Iterable[Execution], first: Iterable[Execution]) -> tuple[Execution, ...]:
    """`items`, preceded by those of `first` whose id it lacks (the newest ones)."""
    items = tuple(items)
    known = {e.id for e in items}
    extra: list[Execution] = []
    for execution in first:
        if execution.id not in known:
            known.add(execution.id)
            extra.append(execution)
    return (*extra, *items)
