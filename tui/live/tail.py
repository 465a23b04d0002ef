"""Following one execution: its status and an incremental, de-duplicated event tail.

The tail opens at the newest page (`_sort=-reported_timestamp`, offset 0), so an old
execution with 100,000 events shows its last lines after one request instead of a
thousand, and the real manager (whose events list is a UNION of events and logs
paged with OFFSET) is never walked from offset 0. From there:

- new events are read in the `cfy` CLI's order (`_sort=reported_timestamp`) from the
  ascending offset the newest page ended at (its `metadata.pagination.total`);
- older pages are read on demand (`load_older`), newest first from the offset that
  the newest total gives, and put in front.

Rows that arrive late with an older timestamp can shift pages, so every event is
de-duplicated on `(type, _storage_id)` (events and logs have independent sequences on
the real manager). Polling stops when the execution has ended; older pages can still
be asked for after that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from tui.api.client import ManagerClient
from tui.api.errors import ApiError, Forbidden, NotFound, Unauthorized
from tui.api.models import Event, Execution
from tui.live.backoff import Backoff

log = logging.getLogger(__name__)
PAGE = 100
# A page of older events may overlap what is held (events arrived since the total was
# learnt shift the newest-first offsets): it is asked for again with the new total.
OLDER_TRIES = 3


@dataclass(frozen=True)
class TailState:
    """What the execution screen shows; `events` is oldest first. New events are
    appended; a page of older ones is put in front (`older` shrinks)."""

    execution: Execution | None = None
    events: tuple[Event, ...] = ()
    finished: bool = False  # ended and drained: no more polling
    gone: bool = False  # the execution no longer exists
    error: str = ""  # last failure, while retrying
    retry_at: float | None = None
    updated_at: float | None = None  # the clock at the last successful step
    requests: int = 0
    opened: bool = False  # the newest page has been read
    older: int = 0  # events before the first one held, not loaded (yet)
    loading_older: bool = False


class EventTail:
    """Holds the window of an execution's events that has been read: from `start` (an
    ascending index) to `offset`, where new events are read from."""

    def __init__(self, client: ManagerClient, execution_id: str, page: int = PAGE) -> None:
        self._client = client
        self.execution_id = execution_id
        self.page = page
        self.offset: int | None = None  # None: not opened yet
        self.start = 0  # ascending index of the oldest event held
        self.total = 0  # the largest `pagination.total` seen
        self._seen: set[tuple[Any, ...]] = set()
        self.requests = 0

    @property
    def opened(self) -> bool:
        return self.offset is not None

    def _keep(self, events: Iterable[Event]) -> list[Event]:
        kept = []
        for event in events:
            if event.key not in self._seen:
                self._seen.add(event.key)
                kept.append(event)
        return kept

    async def open(self) -> list[Event]:
        """The newest page, oldest first; new events are read from its end."""
        page = await self._client.list_events(
            self.execution_id, offset=0, size=self.page, newest_first=True
        )
        self.requests += 1
        self.total = max(self.total, page.total)
        self.offset = page.total
        self.start = max(0, page.total - len(page.items))
        return self._keep(reversed(page.items))

    async def fetch_new(self) -> list[Event]:
        """Everything after the offset, page by page until a short page (the newest
        page first, when the tail is not open yet). Raises when a page fails."""
        if self.offset is None:
            return await self.open()
        # The offset moves, and the events count as seen, only once every page has
        # come: a page that fails leaves all of them to the next try, none lost.
        read: list[Event] = []
        offset = self.offset
        while True:
            page = await self._client.list_events(self.execution_id, offset=offset, size=self.page)
            self.requests += 1
            self.total = max(self.total, page.total)
            offset += len(page.items)
            read += page.items
            if len(page.items) < self.page:
                self.offset = offset
                return self._keep(read)

    async def fetch_older(self) -> list[Event]:
        """The page before the oldest event held, oldest first ([] when none is left)."""
        older: list[Event] = []
        for _ in range(OLDER_TRIES):
            if self.start <= 0 or older:
                break
            known = max(self.total, self.offset or 0)
            skip = max(0, known - self.start)  # newest-first offset of the page's end
            size = min(self.page, self.start)
            page = await self._client.list_events(
                self.execution_id, offset=skip, size=size, newest_first=True
            )
            self.requests += 1
            self.total = max(self.total, page.total)
            if not page.items:
                self.start = 0
                break
            first = page.total - skip - len(page.items)
            self.start = max(0, min(self.start, first))
            older = self._keep(reversed(page.items))
        return older


class ExecutionFollower:
    """Polls one execution and its events until it ends; publishes `TailState`s."""

    def __init__(
        self,
        client: ManagerClient,
        execution_id: str,
        *,
        on_update: Callable[[TailState], None],
        interval: float,  # no default: the user's fast interval (tui/config) gives it
        max_backoff: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        page: int = PAGE,
    ) -> None:
        self._client = client
        self._tail = EventTail(client, execution_id, page)
        self._on_update = on_update
        self.interval = interval
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._backoff = Backoff(first=1.0, cap=max_backoff)
        self.state = TailState()
        self._wake = asyncio.Event()
        self._older_wanted = False
        self._stopped = False  # `run` returned: gone, or refused

    def load_older(self) -> None:
        """Read the page before the oldest event held (the user scrolled to the top);
        a no-op when everything is held or a page is on its way."""
        if self._stopped or not self._tail.opened or self._tail.start <= 0 or self._older_wanted:
            return
        self._older_wanted = True
        self._publish(loading_older=True)
        self._wake.set()

    async def run(self) -> None:
        """Until the execution is gone, or refused; once it has ended and is drained,
        only `load_older` wakes it."""
        while not self.state.gone:
            delay: float | None = self.interval
            try:
                if self._older_wanted:
                    await self._older()
                elif not self.state.finished:
                    await self._step()
            except NotFound:
                self._stopped = True
                self._publish(gone=True, error="", retry_at=None, loading_older=False)
                return
            except (Unauthorized, Forbidden) as exc:
                # Refused credentials are never retried (the poller asks for new ones;
                # the screen starts a new tail with them).
                self._older_wanted = False
                self._stopped = True
                self._publish(
                    error=exc.message or "refused by the manager",
                    retry_at=None,
                    loading_older=False,
                )
                return
            except ApiError as exc:
                self._older_wanted = False
                delay = self._backoff.fail()
                self._publish(
                    error=exc.message, retry_at=self._clock() + delay, loading_older=False
                )
            except Exception as exc:  # a bug must not end the tail silently
                log.exception("execution tail failed")
                self._older_wanted = False
                delay = self._backoff.fail()
                self._publish(
                    error=f"{type(exc).__name__}: {exc}",
                    retry_at=self._clock() + delay,
                    loading_older=False,
                )
            if self.state.gone:
                return
            if self.state.finished:
                delay = None  # nothing to poll: only a `load_older` wakes the loop
                if self.state.retry_at is not None:  # a failed older page: asked again
                    self._publish(retry_at=None)
            await self._wait(delay)

    async def _step(self) -> None:
        execution = await self._client.get_execution(self._tail.execution_id)
        opening = not self._tail.opened
        new = await self._tail.fetch_new()
        finished = False
        if execution.is_ended:
            # The final drain: events written just before the end state. Not needed
            # when the tail was opened after the end state was seen.
            if not opening:
                try:
                    new += await self._tail.fetch_new()
                except BaseException:  # what was read stays on screen, the drain is retried
                    self._publish(events=self.state.events + tuple(new))
                    raise
            finished = True
        self._backoff.reset()
        self._publish(
            execution=execution,
            events=self.state.events + tuple(new),
            finished=finished,
            error="",
            retry_at=None,
            updated_at=self._clock(),
        )

    async def _older(self) -> None:
        older = await self._tail.fetch_older()
        self._older_wanted = False
        self._backoff.reset()
        self._publish(
            events=tuple(older) + self.state.events,
            loading_older=False,
            error="",
            retry_at=None,
            updated_at=self._clock(),
        )

    async def _wait(self, delay: float | None) -> None:
        if self._wake.is_set():
            self._wake.clear()
            return
        waiters = [asyncio.ensure_future(self._wake.wait())]
        if delay is not None:
            waiters.append(asyncio.ensure_future(self._sleep(delay)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        self._wake.clear()

    def _publish(self, **fields: Any) -> None:
        self.state = replace(
            self.state,
            requests=self._tail.requests,
            opened=self._tail.opened,
            older=self._tail.start,
            **fields,
        )
        try:
            self._on_update(self.state)
        except Exception:
            log.exception("tail update callback failed")
