"""The node instances table: instance, state, node, host, index and, opened from an
execution, what that run did to each instance. Rows are built by pure functions."""

from __future__ import annotations

from rich.text import Text

from tui.api.models import NodeInstance
from tui.live.trail import Trail, operation_name
from tui.widgets.glyphs import INSTANCE_STATES as LOOKS
from tui.widgets.glyphs import glyph
from tui.widgets.keyed_table import Cells, Column, KeyedTable
from tui.widgets.safe import safe
from tui.widgets.status import Palette, instance_state_text, look


class InstancesTable(KeyedTable):
    COLUMNS = (
        Column("id", "Instance", 22),
        Column("state", "State", 22),
        Column("node", "Node", 16, priority=1),
        Column("host", "Host", 18, priority=3),
        Column("index", "#", 4, priority=2),
    )


class RunInstancesTable(KeyedTable):
    """Opened from an execution: the last column says what the run did."""

    COLUMNS = (
        Column("id", "Instance", 22),
        Column("state", "State", 22),
        Column("node", "Node", 14, priority=2),
        Column("run", "In this run", 24),
    )


def transitional(state: str) -> bool:
    """A state an instance passes through while a workflow works on it."""
    return look(state, LOOKS).group in ("running", "stopping")


def sort_key(instance: NodeInstance) -> tuple[str, int, str]:
    return (instance.node_id, instance.index if instance.index is not None else -1, instance.id)


def run_text(trail: Trail, palette: Palette, ascii_only: bool) -> Text:
    """`✗ failed in create`, `✓ configure`, `⟳ start`: the run's last word on it."""
    if trail.failed:
        mark = glyph("failed", ascii_only)
        text = Text(f"{mark} failed in ", style=palette.get("failed", ""))
        operation = operation_name(trail.failed_operation)
        return text.append_text(safe(operation, limit=60, ascii_only=ascii_only))
    operation = operation_name(trail.last_operation) or "logs only"
    group = {"succeeded": "done", "started": "running", "sent": "running"}.get(
        trail.last_outcome, "waiting" if trail.last_outcome == "retrying" else "none"
    )
    text = Text(f"{glyph(group, ascii_only)} ", style=palette.get(group, ""))
    text.append_text(safe(operation, limit=60, ascii_only=ascii_only))
    if trail.last_outcome == "retrying":
        text.append(" (retrying)")
    return text


def instance_cells(
    instance: NodeInstance,
    trail: Trail | None,
    palette: Palette,
    ascii_only: bool,
    *,
    stalled: bool = False,
) -> Cells:
    """`stalled`: no execution of the deployment runs (see `instance_state_text`)."""
    index = "" if instance.index is None else str(instance.index)
    cells: Cells = {
        "id": safe(instance.id, limit=100, ascii_only=ascii_only),
        "state": instance_state_text(
            instance.state, palette=palette, ascii_only=ascii_only, stalled=stalled
        ),
        "node": safe(instance.node_id, limit=100, ascii_only=ascii_only),
        "host": safe(instance.host_id, limit=100, ascii_only=ascii_only),
        "index": Text(index),
    }
    if trail is not None:
        cells["run"] = run_text(trail, palette, ascii_only)
    return cells


def matches(instance: NodeInstance, needle: str) -> bool:
    """The filter: a case-insensitive piece of the id, node, state or host."""
    if not needle:
        return True
    needle = needle.lower()
    fields = (instance.id, instance.node_id, instance.state, instance.host_id)
    return any(needle in value.lower() for value in fields)
