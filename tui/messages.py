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


class TailUpdated(Message):
    """A new state of a followed execution (status and events)."""

    def __init__(self, state: object) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TailUpdated)


class WorkflowLoaded(Message):
    """The declared workflow of an execution, to mark parameters that differ from
    their defaults."""

    def __init__(self, workflow: object) -> None:
        super().__init__()
        self.workflow = workflow
