"""Following one execution: its status and an incremental, de-duplicated event tail.

Offset-based like the `cfy` CLI (`_sort=reported_timestamp`, `_offset` = items
received so far), so nothing already received is read again; rows that arrive late
with an older timestamp can shift pages, so every event is also de-duplicated on
`(type, _storage_id, timestamp, message)`. Tailing stops when the execution has
ended, after one final drain.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from tui.api.client import ManagerClient
from tui.api.errors import ApiError, Forbidden, NotFound, Unauthorized
from tui.api.models import Event, Execution
from tui.live.backoff import Backoff

log = logging.getLogger(__name__)
PAGE = 100


@dataclass(frozen=True)
class TailState:
    """What the execution screen shows; `events` only ever grows."""

    execution: Execution | None = None
    events: tuple[Event, ...] = ()
    finished: bool = False  # ended and drained: no more requests
    gone: bool = False  # the execution no longer exists
    error: str = ""  # last failure, while retrying
    retry_at: float | None = None
    updated_at: float | None = None  # the clock at the last successful step
    requests: int = 0


class EventTail:
    """Fetches pages of events from an offset, keeping each event once, in order."""

    def __init__(self, client: ManagerClient, execution_id: str, page: int = PAGE) -> None:
        self._client = client
        self.execution_id = execution_id
        self.page = page
        self.offset = 0
        self._seen: set[tuple[Any, ...]] = set()
        self.requests = 0

    async def fetch_new(self) -> list[Event]:
        """Everything after the offset, page by page until a short page."""
        new: list[Event] = []
        while True:
            page = await self._client.list_events(
                self.execution_id, offset=self.offset, size=self.page
            )
            self.requests += 1
            self.offset += len(page.items)
            for event in page.items:
                if event.key not in self._seen:
                    self._seen.add(event.key)
                    new.append(event)
            if len(page.items) < self.page:
                return new


class ExecutionFollower:
    """Polls one execution and its events until it ends; publishes `TailState`s."""

    def __init__(
        self,
        client: ManagerClient,
        execution_id: str,
        *,
        on_update: Callable[[TailState], None],
        interval: float = 1.0,
        max_backoff: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        self._client = client
        self._tail = EventTail(client, execution_id)
        self._on_update = on_update
        self.interval = interval
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._backoff = Backoff(first=1.0, cap=max_backoff)
        self.state = TailState()
        self._wake = asyncio.Event()

    def refresh_now(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Until the execution has ended and its events are drained (or it is gone)."""
        while not (self.state.finished or self.state.gone):
            delay = self.interval
            try:
                await self._step()
            except NotFound:
                self._publish(gone=True, error="")
                return
            except (Unauthorized, Forbidden) as exc:
                # Refused credentials are never retried (the poller asks for new ones;
                # the screen starts a new tail with them).
                self._publish(error=exc.message or "refused by the manager", retry_at=None)
                return
            except ApiError as exc:
                delay = self._backoff.fail()
                self._publish(error=exc.message, retry_at=self._clock() + delay)
            except Exception as exc:  # a bug must not end the tail silently
                log.exception("execution tail failed")
                delay = self._backoff.fail()
                self._publish(error=f"{type(exc).__name__}: {exc}", retry_at=self._clock() + delay)
            if self.state.finished or self.state.gone:
                return
            await self._wait(delay)

    async def _step(self) -> None:
        execution = await self._client.get_execution(self._tail.execution_id)
        new = await self._tail.fetch_new()
        finished = False
        if execution.is_ended:
            # The final drain: events written just before the end state.
            new += await self._tail.fetch_new()
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

    async def _wait(self, delay: float) -> None:
        if self._wake.is_set():
            self._wake.clear()
            return
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait([waiter, sleeper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            sleeper.cancel()
            await asyncio.gather(waiter, sleeper, return_exceptions=True)
        self._wake.clear()

    def _publish(self, **fields: Any) -> None:
        self.state = replace(self.state, requests=self._tail.requests, **fields)
        try:
            self._on_update(self.state)
        except Exception:
            log.exception("tail update callback failed")
