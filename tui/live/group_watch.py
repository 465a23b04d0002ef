"""Following one execution group live, at a flat cost.

A group of a thousand deployments is one object to its operator: how far it got, what
failed, when it will be done. `GroupFollower` reads it at a cost that does not grow
with its size: the members in pages of `PAGE` with only the fields the group screen
shows (one request up to 1,000 members), and the group itself only when something
about it may have changed (the first read, and after an action). The group's status
is not re-read for that: it is computed from the members, as the manager computes it.

`GroupProgress` is what one read saw, immutable; everything the screen shows of the
group (counts, fraction, status, an estimate of the time left, the outcome in words)
derives from it, so the screen needs nothing else and tests need no manager.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from tui.api.client import ManagerClient, every_page
from tui.api.groups import get_execution_group, list_execution_groups
from tui.api.models import (
    END_STATES,
    WAITING_STATES,
    Event,
    Execution,
    ExecutionGroup,
    Page,
    parse_time,
)

# What a member row needs. Never `execution_group_id`: the real manager's `_include`
# for executions refuses it (it is a relation there, not a column).
MEMBER_FIELDS = (
    "id",
    "deployment_id",
    "workflow_id",
    "status",
    "created_at",
    "started_at",
    "ended_at",
    "error",
)
PAGE = 1000  # members per request: the real manager's default `max_results`
MEMBER_SORT = ("created_at", "id")  # the group's order, stable across pages

# Status groups, in the order the screen and the outcome name them.
BUCKETS: dict[str, frozenset[str]] = {
    "done": frozenset({"terminated"}),
    "failed": frozenset({"failed"}),
    "cancelled": frozenset({"cancelled"}),
    "running": frozenset({"pending", "started"}),
    "stopping": frozenset({"cancelling", "force_cancelling", "kill_cancelling"}),
    "waiting": frozenset(WAITING_STATES),
}
_BUCKET_OF = {status: name for name, statuses in BUCKETS.items() for status in statuses}
# The buckets in words, as the outcome and the screen's counts say them ("45 completed").
BUCKET_WORDS = {
    "done": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    "running": "running",
    "stopping": "stopping",
    "waiting": "waiting",
}
# What the eta learns durations from: members that did their work. A cancelled one
# stopped part-way, so its duration says nothing about the others'.
_DURATION_STATES = frozenset({"terminated", "failed"})
# A group event as the manager writes it (`ResourceManager._update_execution_group`):
# "execution '<id>' changed state to '<status>'[ with error '<error>']".
_STATE_CHANGE = re.compile(r"execution '(?P<id>[^']+)'(?P<rest> changed state to .*)", re.DOTALL)


def utc_now() -> datetime:
    return datetime.now(UTC)


def status_of(statuses: Iterable[str]) -> str | None:
    """The real `ExecutionGroup.status` (7.0.4) from its members' statuses: pending when
    every member is, queued when each waits or is pending, failed / terminated once all
    ended (failed if any failed), started otherwise; None without members. Computed here
    so that a tick need not read the group itself."""
    states = set(statuses)
    if not states:
        return None
    if states == {"pending"}:
        return "pending"
    if states <= {*WAITING_STATES, "pending"}:
        return "queued"
    if states <= END_STATES:
        return "failed" if "failed" in states else "terminated"
    return "started"


def _seconds(start: str | None, end: datetime | None) -> float | None:
    """Seconds from a manager timestamp to `end` (never negative); None when unknown."""
    begun = parse_time(start)
    if begun is None or end is None:
        return None
    return max(0.0, (end - begun).total_seconds())


def _order_key(member: Execution) -> tuple[datetime, str]:
    """The group's order: creation, then id (what the members are read sorted by)."""
    created = parse_time(member.created_at) or datetime.min.replace(tzinfo=UTC)
    return (created, member.id)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class GroupProgress:
    """One read of a group: the group as last fetched, every member as just read, and
    when. Everything else derives from these three."""

    group: ExecutionGroup
    members: tuple[Execution, ...]
    now: datetime  # UTC; running members' durations count to it

    @cached_property
    def _counts(self) -> tuple[tuple[str, int], ...]:
        counts = dict.fromkeys(BUCKETS, 0)
        for member in self.members:
            bucket = _BUCKET_OF.get(member.status)
            if bucket is not None:
                counts[bucket] += 1
        return tuple(counts.items())

    @property
    def counts(self) -> dict[str, int]:
        """Members per status group, every group present (a status this client does not
        know is counted in none of them, but in `total`). A fresh dict each time: the
        progress stays as it was read whatever its reader does with it."""
        return dict(self._counts)

    @property
    def total(self) -> int:
        return len(self.members)

    @property
    def ended(self) -> int:
        counts = self.counts
        return counts["done"] + counts["failed"] + counts["cancelled"]

    @property
    def fraction(self) -> float:
        """How much of the group has ended, 0..1; an empty group has nothing left."""
        return self.ended / self.total if self.total else 1.0

    @property
    def is_over(self) -> bool:
        """Every member ended; a group without members is over when its own status
        says so (the manager made none, or they are not ours to see)."""
        if self.total:
            return self.ended == self.total
        return self.group.status in END_STATES

    @property
    def status(self) -> str:
        """The group's status from its members, as the manager computes it; without
        members, what the group said when it was read ("" for the manager's null)."""
        computed = status_of(m.status for m in self.members)
        return computed if computed is not None else self.group.status

    def duration(self, member: Execution) -> float | None:
        """Seconds it ran: to its end, or to `now` while it has not ended; None before
        it started (or when an ended one has no end time)."""
        if member.is_ended:
            return _seconds(member.started_at, parse_time(member.ended_at))
        return _seconds(member.started_at, self.now)

    @cached_property
    def _median(self) -> float | None:
        """The typical member's duration, from those that did their work."""
        durations = [
            seconds
            for m in self.members
            if m.status in _DURATION_STATES
            and (seconds := _seconds(m.started_at, parse_time(m.ended_at))) is not None
        ]
        return statistics.median(durations) if durations else None

    @property
    def eta_seconds(self) -> float | None:
        """Seconds until the group is over, estimated from the members that ended: the
        waiting ones run in waves of `concurrency` (at least one, a paused group is
        assumed to resume), each taking the median duration, after the longest
        remainder of those running now. None until a member has ended terminated or
        failed; 0 once over."""
        if self.is_over:
            return 0.0
        median = self._median
        if median is None:
            return None
        waves = math.ceil(self.counts["waiting"] / max(1, self.group.concurrency))
        running = [
            max(0.0, median - (self.duration(m) or 0.0))
            for m in self.members
            if _BUCKET_OF.get(m.status) == "running"
        ]
        return waves * median + max(running, default=0.0)

    @property
    def outcome(self) -> str:
        """The group in one line: "upgrade on 48 deployments: 45 completed, 2 failed,
        1 cancelled" (parts that are zero left out)."""
        workflow = self.group.workflow_id or next(
            (m.workflow_id for m in self.members if m.workflow_id), f"group {self.group.id}"
        )
        head = f"{workflow} on {_plural(self.total, 'deployment')}"
        parts = [f"{n} {BUCKET_WORDS[name]}" for name, n in self.counts.items() if n]
        return f"{head}: {', '.join(parts)}" if parts else head

    def ordered(self, failed_first: bool) -> tuple[Execution, ...]:
        """The members in the group's order (creation, then id); with `failed_first`,
        the failed ones, then the cancelled ones, then the rest, each in that order:
        what an operator looks at first after a run."""
        members = sorted(self.members, key=_order_key)
        if failed_first:
            rank = {"failed": 0, "cancelled": 1}
            members.sort(key=lambda m: rank.get(m.status, 2))  # stable: keeps the order
        return tuple(members)


def name_members(message: str, deployments_by_execution: Mapping[str, str]) -> str:
    """A group event's message with the member named by its deployment: the manager
    names members by execution id only ("execution '<uuid>' changed state to
    'started'"), which tells an operator nothing. A known member becomes
    "<deployment> (<first 8 of uuid>) changed state to 'started'"; any other message
    is returned unchanged."""
    match = _STATE_CHANGE.fullmatch(message)
    if match is None:
        return message
    exec_id = match.group("id")
    deployment = deployments_by_execution.get(exec_id)
    if deployment is None:
        return message
    return f"{deployment} ({exec_id[:8]}){match.group('rest')}"


class GroupFollower:
    """Reads one group. A tick is a constant number of requests however many members:
    the members in pages of PAGE with MEMBER_FIELDS only (one request up to 1,000
    members), plus the group itself only on the first read (and after an action, via
    `reread_group()`).

    Reads are meant to be made one after the other (one loop per group screen); a read
    that fails raises the client's error and changes nothing."""

    def __init__(
        self,
        client: ManagerClient,
        group_id: str,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._client = client
        self.group_id = group_id
        self._clock = clock
        self._group: ExecutionGroup | None = None
        # Requests sent so far (a field refusal's one retry inside the client is not
        # seen here: at most once per connection).
        self.requests = 0

    def reread_group(self) -> None:
        """The next read fetches the group again: an action may change its concurrency
        or, for a group without members, its status."""
        self._group = None

    async def read(self) -> GroupProgress:
        """The group (fetched when due) and every member as the manager says now."""
        group = self._group
        if group is None:
            self.requests += 1
            group = await get_execution_group(self._client, self.group_id)
        members = await self._members()
        self._group = group
        return GroupProgress(group=group, members=members, now=self._clock())

    async def _members(self) -> tuple[Execution, ...]:
        """Every member, page after page up to the manager's total; a member seen twice
        (the list moved between pages) is kept once."""

        def read(offset: int) -> Awaitable[Page[Execution]]:
            self.requests += 1
            return self._client.list_executions(
                group_id=self.group_id,
                include=MEMBER_FIELDS,
                size=PAGE,
                offset=offset,
                sort=MEMBER_SORT,
                include_system=False,
            )

        found: dict[str, Execution] = {}
        for member in await every_page(read):
            found.setdefault(member.id, member)
        return tuple(found.values())

    async def events(
        self, *, newest_first: bool = True, size: int = 100, offset: int = 0
    ) -> Page[Event]:
        """A page of the group's own events (`/events?execution_group_id=`): read only
        while the screen shows them, so they are not part of a tick's cost."""
        self.requests += 1
        return await self._client.list_events(
            self.group_id, group=True, newest_first=newest_first, size=size, offset=offset
        )


async def recent_groups(client: ManagerClient, *, size: int) -> Page[ExecutionGroup]:
    """The tenant's newest group runs with their status: one request."""
    return await list_execution_groups(client, size=size)
