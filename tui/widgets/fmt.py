"""Times and durations as operators read them."""

from __future__ import annotations

from datetime import datetime, timezone

from tui.api.models import parse_time


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
    """`updated 2s ago` style ages."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"
