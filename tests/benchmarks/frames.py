"""Waiting on the app in a benchmark driven with Textual's pilot: for a condition,
and for the frame that shows what was just applied."""

from __future__ import annotations

import asyncio
import time
from typing import Any


async def until(pilot: Any, condition: Any, what: str, timeout: float = 30.0) -> None:
    """Let the app run until `condition()` holds; RuntimeError after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.005)


async def refreshed(app: Any) -> None:
    """Until the screen's next refresh (the frame with what was just applied)."""
    drawn = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
    await drawn
