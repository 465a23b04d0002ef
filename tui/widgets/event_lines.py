"""Events and logs as lines of text for the execution screen's tail."""

from __future__ import annotations

from datetime import UTC, datetime, timezone

from rich.text import Text

from tui.api.models import Event
from tui.widgets import fmt
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


def event_line(
    event: Event,
    styles: dict[str, str],
    *,
    now: datetime | None = None,
    tz: timezone | None = None,
    ascii_only: bool = False,
) -> Text:
    """`12:01:03.123 LOG INFO    [vm_1.create] message`, the date in front when the
    event is not from today (`now`), the time in `tz` (the local zone when None)."""
    stamp = fmt.event_time(event.timestamp, now or datetime.now(UTC), tz)
    level = level_of(event)
    line = Text(no_wrap=True, overflow="ignore")
    line.append(stamp + " ", style="dim")
    kind = "LOG" if event.type == "cloudify_log" else "CFY"
    line.append(f"{kind} {level.upper():<7} ", style=styles.get(level, ""))
    if event.node_instance_id:
        op = event.operation.rsplit(".", 1)[-1] if event.operation else ""
        where = f"{event.node_instance_id}.{op}" if op else event.node_instance_id
        line.append("[")
        line.append_text(safe(where, limit=120, ascii_only=ascii_only))
        line.append("] ")
    line.append_text(
        safe(
            event.message,
            styles.get(level, "") if level == "error" else "",
            limit=4000,
            ascii_only=ascii_only,
        )
    )
    return line


def traceback_lines(event: Event, *, ascii_only: bool = False) -> list[Text]:
    """The error causes of a failed task, one Text per line, indented."""
    lines: list[Text] = []
    for cause in event.error_causes:
        kind = cause.get("type")
        message = cause.get("message")
        head = Text("    cause: ", style="bold")
        head.append_text(
            safe(f"{kind}: {message}" if kind else message, limit=2000, ascii_only=ascii_only)
        )
        lines.append(head)
        trace = cause.get("traceback")
        if isinstance(trace, str):
            for row in trace.splitlines()[:200]:
                lines.append(
                    Text("      ").append_text(safe(row, "dim", limit=500, ascii_only=ascii_only))
                )
    return lines


def at_level(event: Event, min_level: str) -> bool:
    return LEVELS.index(level_of(event)) >= LEVELS.index(min_level)


def has_text(event: Event, needle: str) -> bool:
    if not needle:
        return True
    haystack = " ".join(
        (event.message, event.node_instance_id, event.operation, event.event_type)
    ).lower()
    return needle.lower() in haystack


def matches(event: Event, min_level: str, needle: str) -> bool:
    return at_level(event, min_level) and has_text(event, needle)


def nothing_shown(any_at_level: bool) -> Text:
    """The tail's one line when there are events but the filters hide them all, so an
    empty pane never reads as "no events yet"."""
    what = "nothing matches the filter" if any_at_level else "nothing at this level"
    return Text(what, style="dim italic")
