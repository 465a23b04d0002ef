"""Group runs on screen: the preflight's rows, a group's members, its counts and
progress, and the list of recent group runs. Every word from the manager goes through
`safe`; every status is word plus glyph."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from rich.text import Text

from tui.api.models import Execution, ExecutionGroup
from tui.live.group_watch import BUCKET_WORDS
from tui.widgets import fmt
from tui.widgets.glyphs import glyph, sep
from tui.widgets.keyed_table import Cells, Column, KeyedTable
from tui.widgets.ops_bar import bar_text
from tui.widgets.panes import execution_cells
from tui.widgets.safe import safe
from tui.widgets.status import Palette, status_text

BAR_CELLS = 40
# a preflight verdict (tui/actions/preflight.py) -> (glyph, word, whether it is bad news),
# in the order counts are said
VERDICTS: dict[str, tuple[str, str, bool]] = {
    "now": ("running", "now", False),
    "later": ("waiting", "later", False),
    "queue": ("waiting", "queue", False),
    "refused": ("problem", "refused", True),
    "dropped": ("cancelled", "dropped", False),
}


class PreflightTable(KeyedTable):
    COLUMNS = (
        Column("deployment", "Deployment", 16),
        Column("verdict", "Will", 10),
        Column("reason", "Why", 30),  # never dropped: it is what the preflight is for
    )


def verdict_text(verdict: str, ascii_only: bool) -> Text:
    name, word, bad = VERDICTS[verdict]
    return Text(f"{glyph(name, ascii_only)} {word}", style="bold" if bad else "", no_wrap=True)


def preflight_cells(deployment_id: str, verdict: str, reason: str, ascii_only: bool) -> Cells:
    return {
        "deployment": safe(deployment_id, limit=200, ascii_only=ascii_only),
        "verdict": verdict_text(verdict, ascii_only),
        "reason": safe(reason, limit=400, ascii_only=ascii_only),
    }


def verdict_counts(counts: Mapping[str, int], ascii_only: bool) -> Text:
    """`⟳ 20 now · ◷ 25 later · ◷ 3 queue · ✗ 2 refused` (zero counts left out)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    for verdict, (name, word, bad) in VERDICTS.items():
        if not counts.get(verdict):
            continue
        if line:
            line.append(sep(ascii_only))
        line.append(f"{glyph(name, ascii_only)} {counts[verdict]} {word}", "bold" if bad else "")
    return line


class MembersTable(KeyedTable):
    COLUMNS = (
        Column("deployment", "Deployment", 18),
        Column("status", "Status", 18),
        Column("started", "Started", 12, priority=2),
        Column("duration", "Duration", 8, priority=1),
        Column("id", "Id", 8, priority=3),
        Column("error", "Error", 30, priority=4),
    )


def member_cells(
    execution: Execution, now: datetime, palette: Palette, ascii_only: bool, tz: timezone | None
) -> Cells:
    cells = execution_cells(execution, now, palette, ascii_only, tz)
    cells["deployment"] = safe(execution.deployment_id, limit=200, ascii_only=ascii_only)
    return cells


def counts_text(counts: dict[str, int], palette: Palette, ascii_only: bool) -> Text:
    """`✓ 12 completed · ✗ 2 failed · ⟳ 20 running · ◷ 14 waiting` (zero counts left
    out), each in its status group's colour."""
    line = Text(no_wrap=True, overflow="ellipsis")
    for group, word in BUCKET_WORDS.items():
        count = counts.get(group, 0)
        if not count:
            continue
        if line:
            line.append(sep(ascii_only))
        line.append(f"{glyph(group, ascii_only)} {count:,} {word}", palette.get(group, ""))
    return line


def progress_text(
    ended: int, total: int, eta: float | None, width: int, ascii_only: bool, done_style: str = ""
) -> Text:
    """The bar of ended members and the estimate in `width` cells:
    `━━━━━━──────── 24/48 ended (about 3:10 left)`."""
    label = f"{ended:,}/{total:,} ended"
    if ended < total:
        label += f" (about {fmt.duration(eta)} left)" if eta is not None else " (estimating)"
    return bar_text(
        ended,
        total,
        width,
        ascii_only=ascii_only,
        done_style=done_style,
        todo_style="dim",
        label=label,
        most=BAR_CELLS,
    )


class GroupsTable(KeyedTable):
    COLUMNS = (
        Column("created", "Created", 12),
        Column("workflow", "Workflow", 16),
        Column("status", "Status", 14),
        Column("group", "Deployment group", 24, priority=1),
        Column("concurrency", "Conc.", 5, priority=2),
        Column("id", "Id", 8, priority=3),
        Column("by", "By", 12, priority=4),
    )


def group_cells(
    group: ExecutionGroup, now: datetime, palette: Palette, ascii_only: bool, tz: timezone | None
) -> Cells:
    status = (
        status_text(group.status, palette=palette, ascii_only=ascii_only)
        if group.status
        else Text("no members", style="dim")
    )
    return {
        "created": Text(fmt.clock_time(group.created_at, now, tz), no_wrap=True),
        "workflow": safe(group.workflow_id, limit=200, ascii_only=ascii_only),
        "status": status,
        "group": safe(group.deployment_group_id, limit=200, ascii_only=ascii_only),
        "concurrency": Text(str(group.concurrency), no_wrap=True),
        "id": safe(fmt.short_id(group.id), ascii_only=ascii_only),
        "by": safe(group.created_by, limit=100, ascii_only=ascii_only),
    }
