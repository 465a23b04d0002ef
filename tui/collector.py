"""Full garbage collections while nobody waits for the screen.

CPython starts a full collection when enough objects survived the younger
generations, whenever that is: in the middle of drawing the executions of the
deployment the cursor just moved to. At 10,000 deployments such a pause took 40 to
110 ms, the slowest selections of tests/benchmarks/bench_tui_scale.py. So, once the
first data is drawn:

- everything made until then (Textual, the styles, the widgets, the modules) lives as
  long as the app and is frozen out of the collector's sight (`gc.freeze`): a full
  collection no longer walks half a million objects;
- automatic full collections are turned off; the young generations are still
  collected as usual, so short-lived cycles are freed at once;
- `tick` (every second) runs the full collection CPython would have run, once no key
  or mouse event came for `QUIET` seconds, or when it is `OVERDUE` whatever the keys.

`stop` puts CPython's own policy back (the app ends; the tests run many apps in one
process).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# Collections of the middle generation since the last full one after which CPython
# considers a full collection (its default third threshold).
FULL_AFTER = 10
QUIET = 1.0  # seconds without a key or mouse event before a due collection runs
OVERDUE = 60.0  # seconds: a due collection waits no longer, keys or not
NEVER = 2**30  # a third threshold that the middle generation's count never reaches


class IdleCollector:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_input = clock()
        self._last_full = clock()
        self._thresholds: tuple[int, int, int] | None = None
        self.collections = 0  # full collections run by `tick`

    @property
    def started(self) -> bool:
        return self._thresholds is not None

    def start(self) -> None:
        """Once, after the first data is drawn: freeze what exists, then take over the
        full collections."""
        if self.started:
            return
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)
        self._last_full = self._clock()

    def stop(self) -> None:
        """CPython's thresholds again (the frozen objects stay frozen)."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def due(self) -> bool:
        """Whether CPython would have considered a full collection by now."""
        return self.started and gc.get_count()[2] >= FULL_AFTER

    def tick(self) -> bool:
        """Run a due full collection if nobody is typing (or it is overdue); True
        when it ran."""
        if not self.due():
            return False
        now = self._clock()
        if now - self._last_input < QUIET and now - self._last_full < OVERDUE:
            return False
        gc.collect()
        self._last_full = now
        self.collections += 1
        return True
