"""The watch list: executions pinned with `m`, and those started here (watched until
they end). It tells which watched executions have just ended; the app says so."""

from __future__ import annotations

from collections.abc import Iterable

from tui.api.models import END_STATES, Execution


class WatchList:
    def __init__(self) -> None:
        self.pinned: dict[str, Execution] = {}
        self.started: dict[str, Execution] = {}
        self._last_status: dict[str, str] = {}

    def ids(self) -> list[str]:
        """Pinned first, then started here; each once."""
        return list(dict.fromkeys([*self.pinned, *self.started]))

    def executions(self, known: Iterable[Execution]) -> list[Execution]:
        """Each watched execution, as fresh as `known` (the poller's) has it."""
        fresh = {e.id: e for e in known}
        return [fresh.get(i) or self.pinned.get(i) or self.started[i] for i in self.ids()]

    def toggle_pin(self, execution: Execution) -> bool:
        """Pin or unpin; True when it is pinned now."""
        if execution.id in self.pinned:
            del self.pinned[execution.id]
            return False
        self.pinned[execution.id] = execution
        self._last_status.setdefault(execution.id, execution.status)
        return True

    def add_started(self, execution: Execution) -> None:
        self.started[execution.id] = execution
        self._last_status[execution.id] = execution.status

    def update(self, watched: Iterable[Execution]) -> list[Execution]:
        """Take the poller's fresh copies; return those that ended since the last
        update (seen active before, ended now). Ended executions started here stop
        being watched; pinned ones stay until unpinned."""
        finished = []
        for execution in watched:
            before = self._last_status.get(execution.id)
            self._last_status[execution.id] = execution.status
            if execution.id in self.pinned:
                self.pinned[execution.id] = execution
            if execution.id in self.started:
                self.started[execution.id] = execution
            if execution.status in END_STATES and before is not None and before not in END_STATES:
                finished.append(execution)
        for execution in finished:
            self.started.pop(execution.id, None)
        return finished

    def clear(self) -> None:
        self.pinned.clear()
        self.started.clear()
        self._last_status.clear()
