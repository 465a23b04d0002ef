"""Executions across every deployment: what runs now, and what ran.

Two views of `GET /executions`, newest first, paged on the manager:
- running now: every unfinished execution (pending, started, stopping, queued,
  scheduled), system workflows included;
- history: every execution, narrowed by status, workflow, deployment and a start
  time (`since`).

One request per read, whatever the fleet's size. The manager filters by status,
workflow and deployment itself; it has no time filter for executions (`_range` is
an events parameter), so `since` reads pages newest first and stops at the first
execution older than the bound.

The filter is typed in words: `status:failed workflow:install deployment:web-1
since:24h`, bare status words (`failed`, `running`), `since:yesterday`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from tui.api.client import EXECUTION_FIELDS, ManagerClient
from tui.api.errors import ApiError
from tui.api.models import UNFINISHED_STATES, Execution, parse_time

View = Literal["running", "history"]
PAGE = 50
# What the executions pane reads, less the parameters (a page of fifty executions of
# any workflow), plus what tells system runs and tenants apart.
FLEET_FIELDS = (
    *(f for f in EXECUTION_FIELDS if f != "parameters"),
    "is_system_workflow",
    "tenant_name",
)
# A word of the filter -> the statuses it means.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "completed": ("terminated",),
    "terminated": ("terminated",),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
    "pending": ("pending",),
    "started": ("started",),
    "running": ("pending", "started"),
    "stopping": ("cancelling", "force_cancelling", "kill_cancelling"),
    "cancelling": ("cancelling",),
    "force_cancelling": ("force_cancelling",),
    "kill_cancelling": ("kill_cancelling",),
    "queued": ("queued",),
    "scheduled": ("scheduled",),
    "waiting": ("queued", "scheduled"),
    "ended": ("terminated", "failed", "cancelled"),
}
KEYS = {
    "status": "status",
    "s": "status",
    "workflow": "workflow",
    "w": "workflow",
    "deployment": "deployment",
    "dep": "deployment",
    "d": "deployment",
    "since": "since",
}
SYNTAX = "status:failed workflow:install deployment:web-1 since:24h (or 7d, today, yesterday)"
_AGE = re.compile(r"^(\d+)([mhd])$")


class FilterError(ValueError):
    """The filter as typed cannot be read; the message says why and how."""


@dataclass(frozen=True)
class FleetQuery:
    view: View = "running"
    statuses: tuple[str, ...] = ()
    workflow: str | None = None
    deployment: str | None = None
    since: datetime | None = None
    all_tenants: bool = False

    def wanted_statuses(self) -> tuple[str, ...]:
        """What the manager is asked for: in the running view, the unfinished statuses
        (those of the filter among them)."""
        if self.view == "history":
            return self.statuses
        unfinished = sorted(UNFINISHED_STATES)
        if not self.statuses:
            return tuple(unfinished)
        return tuple(s for s in self.statuses if s in UNFINISHED_STATES)


def _since(value: str, now: datetime) -> datetime:
    """An age (`30m`, `24H`), `today`, `yesterday` in any case, or a time as written
    (the manager's own `...Z` included: its case is kept for the parser)."""
    word = value.lower()
    age = _AGE.match(word)
    if age:
        amount, unit = int(age.group(1)), age.group(2)
        unit_name = {"m": "minutes", "h": "hours", "d": "days"}[unit]
        return now - timedelta(**{unit_name: amount})
    local = now.astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    parsed = parse_time(value.upper())  # an ISO time: `t` and `z` read as `T` and `Z`
    if parsed is None:
        raise FilterError(f"since:{value} is not a time: use 30m, 24h, 7d, today, yesterday")
    return parsed


def _statuses(value: str) -> tuple[str, ...]:
    found: list[str] = []
    for word in value.split(","):
        statuses = STATUS_WORDS.get(word)
        if statuses is None:
            known = ", ".join(sorted(STATUS_WORDS))
            raise FilterError(f"{word!r} is not a status: use one of {known}")
        found += statuses
    return tuple(dict.fromkeys(found))


def parse_filter(text: str, base: FleetQuery, now: datetime) -> FleetQuery:
    """`base` narrowed by the words of `text` (its view and tenants kept)."""
    statuses: tuple[str, ...] = ()
    named: dict[str, str | None] = {"workflow": None, "deployment": None}
    since: datetime | None = None
    for word in text.split():
        key, colon, value = word.partition(":")
        if not colon:
            key, value = "status", word
        name = KEYS.get(key.lower())
        if name is None or not value:
            raise FilterError(f"{word!r} is not a filter word: {SYNTAX}")
        if name == "status":
            statuses += _statuses(value.lower())
        elif name == "since":
            since = _since(value, now)
        else:
            named[name] = value
    return replace(
        base,
        statuses=tuple(dict.fromkeys(statuses)),
        workflow=named["workflow"],
        deployment=named["deployment"],
        since=since,
    )


@dataclass(frozen=True)
class FleetPage:
    items: tuple[Execution, ...] = ()
    total: int = 0
    offset: int = 0
    # The page reached executions older than `since`: they were dropped, and there is
    # nothing to read after this page.
    range_ended: bool = False
    error: str = ""


async def read_fleet(
    client: ManagerClient, query: FleetQuery, offset: int = 0, size: int = PAGE
) -> FleetPage:
    statuses = query.wanted_statuses()
    if query.view == "running" and query.statuses and not statuses:
        return FleetPage()  # e.g. status:failed in the running view: none can match
    try:
        page = await client.list_executions(
            deployment_id=query.deployment,
            workflow_id=query.workflow,
            statuses=statuses,
            size=size,
            offset=offset,
            include_system=True,
            include=FLEET_FIELDS,
            all_tenants=query.all_tenants,
        )
    except ApiError as error:
        return FleetPage(offset=offset, error=str(error) or type(error).__name__)
    items = page.items
    ended = False
    if query.since is not None:
        kept = tuple(e for e in items if _newer(e, query.since))
        ended = len(kept) < len(items)
        items = kept
    return FleetPage(items=items, total=page.total, offset=page.offset, range_ended=ended)


def _newer(execution: Execution, since: datetime) -> bool:
    created = parse_time(execution.created_at)
    return created is None or created >= since
