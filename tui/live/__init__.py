"""State kept fresh from the manager: polling, an execution's tail and the watch list,
no widgets.

`Poller` runs one loop that turns "what the manager says now" into immutable
`Snapshot`s keyed by id; the tables compare them with what they show, cell by cell.
Imports `tui.api` and the standard library only (tests/test_layers.py).
"""

from tui.live.backoff import Backoff
from tui.live.poller import Poller
from tui.live.snapshot import ConnectionState, Snapshot

__all__ = ["Backoff", "ConnectionState", "Poller", "Snapshot"]
