"""State kept fresh from the manager: polling and keyed diffs, no widgets.

`Poller` runs one loop that turns "what the manager says now" into immutable
`Snapshot`s; `changes(old, new)` tells the UI which rows to add, update or remove.
Imports `tui.api` and the standard library only (tests/test_layers.py).
"""

from tui.live.backoff import Backoff
from tui.live.poller import Poller
from tui.live.snapshot import Changes, ConnectionState, Diff, Snapshot, changes, diff

__all__ = ["Backoff", "Changes", "ConnectionState", "Diff", "Poller", "Snapshot", "changes", "diff"]
