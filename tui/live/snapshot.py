"""Immutable views of "what the manager says now", and keyed diffs between them.

The UI never rebuilds a table on a tick (UX.md, "Live data"): it applies a diff keyed
by id, so rows keep their place and the cursor stays put. Everything here is frozen,
so a published snapshot can be handed to widgets and kept as "the previous one" for
the next diff without anyone being able to change it underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tui.api.models import Deployment, Execution

T = TypeVar("T")


@dataclass(frozen=True)
class ConnectionState:
    """How the last tick went; the UI turns it into "disconnected, retrying in 8s"."""

    connected: bool
    error: str = ""
    retry_at: float | None = None
    failures: int = 0
    # "credentials" (401) or "tenant" (403): polling stopped, nothing is retried until
    # the user gives new credentials or another tenant (a real manager counts every
    # refused login and may lock the account).
    refused: str = ""


@dataclass(frozen=True)
class Diff:
    """Keys added, changed (same key, unequal value) and removed, each in list order."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _default_key(item: Any) -> str:
    return item.id


def diff(old: Sequence[T], new: Sequence[T], key: Callable[[T], str] = _default_key) -> Diff:
    """Compare two lists by key. Models are frozen dataclasses, so `!=` is a field compare.

    `added` and `changed` follow the order of `new`, `removed` the order of `old`; a key
    that appears twice counts once (the last occurrence wins), as a keyed table would.
    """
    before = {key(item): item for item in old}
    after = {key(item): item for item in new}
    added: list[str] = []
    changed: list[str] = []
    for k, item in after.items():
        if k not in before:
            added.append(k)
        elif before[k] != item:
            changed.append(k)
    removed = [k for k in before if k not in after]
    return Diff(tuple(added), tuple(changed), tuple(removed))


@dataclass(frozen=True)
class Snapshot:
    """One consistent picture for the UI; `generation` grows with every publish."""

    deployments: tuple[Deployment, ...] = ()
    deployments_total: int = 0
    # The list is one page of the manager's deployments, from this offset.
    deployments_offset: int = 0
    # The `_search` the `deployments` list was fetched with (it changes when that list
    # arrives, not when `set_search` is called, so rows and filter always agree).
    search: str = ""
    active: tuple[Execution, ...] = ()
    selected: str | None = None
    detail: Deployment | None = None
    executions: tuple[Execution, ...] = ()
    connection: ConnectionState = ConnectionState(connected=False)
    updated_at: float | None = None
    paused: bool = False
    generation: int = 0
    # Executions the UI watches (started by the user or pinned), newest state of each,
    # in the order they were asked for; any deployment, any status.
    watched: tuple[Execution, ...] = ()
    # Fields this manager does not give: (resource, field, why), for the settings view.
    missing_fields: tuple[tuple[str, str, str], ...] = ()
    # Counts of the whole manager (`metadata.pagination.total`): running executions
    # (of which `running_listed` are in `active`; the rest are said, not shown) and
    # waiting ones (queued or scheduled; None until counted).
    running_total: int = 0
    running_listed: int = 0
    waiting_total: int | None = None

    def age(self, now: float) -> float | None:
        """Seconds since the last successful tick ("updated 2s ago"); None before one."""
        return None if self.updated_at is None else max(0.0, now - self.updated_at)

    @property
    def stale(self) -> bool:
        """Old data on screen while the manager cannot be reached: show it, marked."""
        return not self.connection.connected and self.updated_at is not None

    @property
    def running_not_listed(self) -> int:
        """Running executions the manager has beyond the page polled."""
        return max(0, self.running_total - self.running_listed)

    @property
    def system_active(self) -> tuple[Execution, ...]:
        """Running system executions (snapshots, plugin updates): while one runs, a
        manager queues every start, forced or not."""
        return tuple(e for e in self.active if e.is_system_workflow)

    def active_for(self, deployment_id: str) -> Execution | None:
        """The newest unfinished execution of a deployment (`active` is newest first)."""
        for execution in self.active:
            if execution.deployment_id == deployment_id:
                return execution
        return None


@dataclass(frozen=True)
class Changes:
    """What the UI has to apply to go from one snapshot to the next."""

    deployments: Diff
    executions: Diff
    active: Diff
    selection_changed: bool
    detail_changed: bool

    @property
    def empty(self) -> bool:
        return (
            self.deployments.empty
            and self.executions.empty
            and self.active.empty
            and not self.selection_changed
            and not self.detail_changed
        )


def changes(old: Snapshot, new: Snapshot) -> Changes:
    """Keyed diffs of the three lists, and whether the selection or its detail moved.

    When the selection changed, `executions` is diffed all the same (rows of the old
    deployment come out as removed), so a UI may apply it or simply reload that pane.
    """
    return Changes(
        deployments=diff(old.deployments, new.deployments),
        executions=diff(old.executions, new.executions),
        active=diff(old.active, new.active),
        selection_changed=old.selected != new.selected,
        detail_changed=old.detail != new.detail,
    )
