"""The three panes of the main screen: deployments, workflows, executions.

Each row is built from an immutable model by a pure function, so what a row shows
is testable without a screen, and every server string goes through `safe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from rich.text import Text

from tui.api.models import Deployment, Execution, Workflow
from tui.widgets import fmt
from tui.widgets.glyphs import glyph, overflow
from tui.widgets.keyed_table import Cells, Column, KeyedTable
from tui.widgets.paged_table import PagedTable
from tui.widgets.safe import clean, safe
from tui.widgets.status import Palette, status_text


class DeploymentsTable(PagedTable):
    """One page of deployments."""

    COLUMNS = (
        Column("id", "Deployment", 16),
        Column("name", "Name", 20, priority=3),
        Column("blueprint", "Blueprint", 10, priority=2),
        Column("latest", "Latest execution", 26),
        Column("status", "Status", 18, priority=1),
        Column("install", "Installed", 9, priority=4),
        Column("labels", "Labels", 24, priority=5),
    )


def deployment_cells(
    dep: Deployment,
    active: Execution | None,
    palette: Palette,
    ascii_only: bool,
    latest_unknown: bool = False,
    marked: bool = False,
) -> Cells:
    """A deployment row; a running execution overrides the lagging latest status.
    `latest_unknown`: the manager does not give the latest execution's status (older
    than 6.3): a dash, not a guess (the settings view says why). A row marked for a
    group run starts with the mark glyph, in bold (not only a colour)."""
    if active is None and latest_unknown and dep.latest_execution_status is None:
        latest = Text("-", style="dim", no_wrap=True)
        workflow = ""
    elif active is not None:
        latest = status_text(
            active.status, palette=palette, ascii_only=ascii_only, dry_run=active.is_dry_run
        )
        workflow = active.workflow_id
    else:
        latest = status_text(dep.latest_execution_status, palette=palette, ascii_only=ascii_only)
        workflow = dep.latest_execution_workflow_id or ""
    if workflow:
        latest.append(" ")
        latest.append_text(safe(workflow, "dim", limit=60, ascii_only=ascii_only))
    installed = {"active": "yes", "inactive": "no"}.get(
        dep.installation_status, dep.installation_status
    )
    shown_id = safe(dep.id, limit=200, ascii_only=ascii_only)
    if marked:
        shown_id = Text.assemble((f"{glyph('marked', ascii_only)} ", "bold"), shown_id)
        shown_id.stylize("bold")
    return {
        "id": shown_id,
        "name": safe(dep.display_name, limit=200, ascii_only=ascii_only),
        "blueprint": safe(dep.blueprint_id, limit=200, ascii_only=ascii_only),
        "latest": latest,
        "status": safe(dep.deployment_status.replace("_", " "), limit=40, ascii_only=ascii_only),
        "install": safe(installed, limit=20, ascii_only=ascii_only),
        "labels": safe(
            " ".join(f"{label.key}={label.value}" for label in dep.labels),
            "dim",
            limit=200,
            ascii_only=ascii_only,
        ),
    }


class WorkflowsTable(KeyedTable):
    COLUMNS = (
        Column("name", "Workflow", 20),
        Column("params", "Params", 9, priority=1),
        Column("available", "Available", 24),
    )


# The plugin of the workflows every blueprint gets from `cloudify/types/types.yaml`.
BUILT_IN_PLUGIN = "default_workflows"


def custom_first(workflows: Sequence[Workflow]) -> list[Workflow]:
    """The blueprint's own workflows first, then the ~15 built-in ones, each group in
    the deployment's order: what an operator runs most is not below `validate_agents`."""
    return sorted(workflows, key=lambda w: w.plugin == BUILT_IN_PLUGIN)


def workflow_cells(workflow: Workflow, ascii_only: bool = False) -> Cells:
    count = len(workflow.parameters)
    params = f"{count} param" + ("" if count == 1 else "s")
    if workflow.is_available:
        available = Text(f"{glyph('yes', ascii_only)} yes", no_wrap=True)
    else:
        available = Text(
            f"{glyph('no', ascii_only)} no: ",
            style="bold",
            no_wrap=True,
            overflow=overflow(ascii_only),
        )
        available.append_text(safe(workflow.unavailable_reason, limit=120, ascii_only=ascii_only))
    return {
        "name": safe(workflow.name, limit=200, ascii_only=ascii_only),
        "params": Text(params, no_wrap=True, overflow=overflow(ascii_only)),
        "available": available,
    }


def unavailable_message(deployment_id: str, workflow: Workflow) -> str | None:
    """Why a start of `workflow` would be refused by the manager (None: available).
    Said instead of sending a request the manager is known to refuse; `force` skips
    the manager's availability check, so a force-start is not refused here."""
    if workflow.is_available:
        return None
    return (
        f"{clean(workflow.name, limit=100)} is not available on "
        f"{clean(deployment_id, limit=100)}: {clean(workflow.unavailable_reason, limit=200)}. "
        "Nothing was sent; a force-start (S) runs it anyway."
    )


class ExecutionsTable(KeyedTable):
    COLUMNS = (
        Column("id", "Id", 8),
        Column("workflow", "Workflow", 18),
        Column("status", "Status", 22),
        Column("started", "Started", 14, priority=3),
        Column("duration", "Duration", 8, priority=1),
        Column("ops", "Ops", 7, priority=2),
        Column("error", "Error", 40, priority=4),
    )


def execution_cells(
    execution: Execution,
    now: datetime,
    palette: Palette,
    ascii_only: bool,
    tz: timezone | None = None,
) -> Cells:
    """An execution row; times in `tz` (the local zone when None)."""
    ops = ""
    if execution.total_operations:
        ops = f"{execution.finished_operations}/{execution.total_operations}"
    return {
        "id": safe(fmt.short_id(execution.id), ascii_only=ascii_only),
        "workflow": safe(execution.workflow_id, limit=200, ascii_only=ascii_only),
        "status": status_text(
            execution.status, palette=palette, ascii_only=ascii_only, dry_run=execution.is_dry_run
        ),
        "started": Text(
            fmt.clock_time(execution.started_at or execution.created_at, now, tz), no_wrap=True
        ),
        "duration": Text(
            fmt.elapsed(execution.started_at, execution.ended_at, now)
            if execution.started_at
            else "",
            no_wrap=True,
        ),
        "ops": Text(ops, no_wrap=True),
        "error": safe(execution.error_summary, "bold", limit=400, ascii_only=ascii_only),
    }


def manager_load(running: int, listed: int, waiting: int | None) -> str:
    """The whole manager's running and waiting executions, counted by the manager
    (`metadata.pagination.total`), for the executions pane's title: `50 running,
    1,432 queued`. The poller lists only a page of the running ones and none of the
    waiting ones, so the count is what says how many there are, and how many running
    ones are not listed (their deployments' rows may lag): never cut silently."""
    parts = []
    if running:
        part = f"{running:,} running"
        if running > listed:
            part += f" ({running - listed:,} not listed)"
        parts.append(part)
    if waiting:
        parts.append(f"{waiting:,} queued")
    return ", ".join(parts)
