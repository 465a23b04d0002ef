"""Immutable views of "what the manager says now", keyed by id.

The UI never rebuilds a table on a tick (UX.md, "Live data"): each table compares
the rows of a new snapshot with those it shows, by key and cell by cell
(`tui/widgets/keyed_table.py`), so rows keep their place and the cursor stays put.
Everything here is frozen, so a published snapshot can be handed to widgets and kept
without anyone being able to change it underneath.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.api.models import Deployment, Execution


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
class Snapshot:
    """One consistent picture for the UI; `generation` grows with every publish."""

    deployments: tuple[Deployment, ...] = ()
    deployments_total: int = 0
    # The list is one page of the manager's deployments, from this offset.
    deployments_offset: int = 0
    # The `_search` the `deployments` list was fetched with (it changes when that list
    # arrives, not when `set_search` is called, so rows and filter always agree).
    search: str = ""
    # The `_sort` keys it was fetched with (`-` descending), likewise.
    sort: tuple[str, ...] = ("id",)
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
