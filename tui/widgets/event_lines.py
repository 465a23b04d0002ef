"""Events and logs as lines of text for the execution screen's tail."""

from __future__ import annotations

from rich.text import Text

from tui.api.models import Event, parse_time
from tui.widgets.safe import safe

LEVELS = ("debug", "info", "warning", "error")
ERROR_EVENTS = {"task_failed", "workflow_failed"}
WARNING_EVENTS = {"task_rescheduled", "workflow_cancelled"}


def level_of(event: Event) -> str:
    """Logs carry a level; events get one from their type."""
    if event.type == "cloudify_log" or event.level:
        level = event.level.lower()
        return level if level in LEVELS else "info"
    if event.event_type in ERROR_EVENTS:
        return "error"
    if event.event_type in WARNING_EVENTS:
        return "warning"
    return "info"


def is_failure(event: Event) -> bool:
    return level_of(event) == "error"


def event_line(event: Event, styles: dict[str, str]) -> Text:
    """`12:01:03.123 INFO  [vm_1.create] message` (times in the local zone)."""
    when = parse_time(event.timestamp)
    stamp = when.astimezone().strftime("%H:%M:%S.%f")[:12] if when else "--:--:--.---"
    level = level_of(event)
    line = Text(no_wrap=True, overflow="ignore")
    line.append(stamp + " ", style="dim")
    kind = "LOG" if event.type == "cloudify_log" else "CFY"
    line.append(f"{kind} {level.upper():<7} ", style=styles.get(level, ""))
    if event.node_instance_id:
        op = event.operation.rsplit(".", 1)[-1] if event.operation else ""
        where = f"{event.node_instance_id}.{op}" if op else event.node_instance_id
        line.append("[")
        line.append_text(safe(where, limit=120))
        line.append("] ")
    line.append_text(
        safe(event.message, styles.get(level, "") if level == "error" else "", limit=4000)
    )
    return line


def traceback_lines(event: Event) -> list[Text]:
    """The error causes of a failed task, one Text per line, indented."""
    lines: list[Text] = []
    for cause in event.error_causes:
        kind = cause.get("type")
        message = cause.get("message")
        head = Text("    cause: ", style="bold")
        head.append_text(safe(f"{kind}: {message}" if kind else message, limit=2000))
        lines.append(head)
        trace = cause.get("traceback")
        if isinstance(trace, str):
            for row in trace.splitlines()[:200]:
                lines.append(Text("      ").append_text(safe(row, "dim", limit=500)))
    return lines


def matches(event: Event, min_level: str, needle: str) -> bool:
    if LEVELS.index(level_of(event)) < LEVELS.index(min_level):
        return False
    if not needle:
        return True
    haystack = " ".join(
        (event.message, event.node_instance_id, event.operation, event.event_type)
    ).lower()
    return needle.lower() in haystack
