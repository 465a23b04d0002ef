"""Times and durations as operators read them."""

from __future__ import annotations

from datetime import UTC, datetime, timezone

from tui.api.models import parse_time


def short_id(exec_id: str) -> str:
    """The first 8 characters of an execution's id: what the executions pane, the watch
    bar, dialogs and toasts show (a UUID's first 8 hex digits tell apart every
    execution an operator sees at once; the raw view has the whole id)."""
    return exec_id[:8]


def clock_time(stamp: str | None, now: datetime, tz: timezone | None = None) -> str:
    """`12:01:03` today, `Nov 24 12:01` on another day; empty when unknown."""
    when = parse_time(stamp)
    if when is None:
        return ""
    local = when.astimezone(tz)
    today = now.astimezone(tz).date()
    if local.date() == today:
        return local.strftime("%H:%M:%S")
    return local.strftime("%b %d %H:%M")


def event_time(stamp: str | None, now: datetime, tz: timezone | None = None) -> str:
    """`12:01:03.123` today, `Nov 24 12:01:03.123` on another day: an event's time to
    the millisecond, in `tz` (the local zone when None); `--:--:--.---` when unknown."""
    when = parse_time(stamp)
    if when is None:
        return "--:--:--.---"
    local = when.astimezone(tz)
    shown = local.strftime("%H:%M:%S.%f")[:-3]
    if local.date() == now.astimezone(tz).date():
        return shown
    return f"{local.strftime('%b %d')} {shown}"


def zone(utc: bool) -> timezone | None:
    """The zone times are shown in: UTC, or the local zone (None)."""
    return UTC if utc else None


def zone_label(now: datetime, utc: bool) -> str:
    """`times in UTC`, or `times in CET (local)`: which zone the times on screen are
    in, and that `z` switched it (a local zone may itself be UTC)."""
    if utc:
        return "times in UTC"
    return f"times in {now.astimezone().tzname() or 'local time'} (local)"


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 event`, `2 events`, `0 events` (`many` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def duration(seconds: float | None) -> str:
    """`0:42`, `12:03`, `1:02:03`; empty when unknown."""
    if seconds is None or seconds < 0:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def elapsed(start: str | None, end: str | None, now: datetime) -> str:
    """Duration of an execution: until it ended, or until now while it runs."""
    began = parse_time(start)
    if began is None:
        return ""
    finished = parse_time(end) or now
    return duration((finished - began).total_seconds())


def age(seconds: float | None) -> str:
    """How old the data is, in steps coarse enough that an idle screen does not change
    every second (each change is written to the terminal): `just now` under 10 s,
    then `10s ago`, `20s ago`, ..., `3 min ago`, `2 h ago`; `never` when unknown."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    if seconds < 10:
        return "just now"
    if seconds < 60:
        return f"{int(seconds // 10) * 10}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"
