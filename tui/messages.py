"""Messages to screens: the app tells them what changed; they decide what to show."""

from __future__ import annotations

from textual.message import Message

from tui.api.models import Execution
from tui.live.snapshot import Snapshot
from tui.live.tail import TailState


class SnapshotReady(Message):
    """A new snapshot from the poller; the newest replaces any still queued."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class TailUpdated(Message):
    """A new state of a followed execution (status and events)."""

    def __init__(self, state: TailState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TailUpdated)


class ExecutionStarted(Message):
    """A start flow created `execution`: the main screen puts its cursor on it."""

    def __init__(self, execution: Execution) -> None:
        super().__init__()
        self.execution = execution


class CredentialsChanged(Message):
    """The user gave new credentials: a screen that stopped on refused ones (an
    execution's tail) starts again with them."""
