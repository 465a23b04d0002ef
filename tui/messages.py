"""Messages between the app and its screens."""

from __future__ import annotations

from textual.message import Message

from tui.live.snapshot import Snapshot


class SnapshotReady(Message):
    """A new snapshot from the poller; the newest replaces any still queued."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)
