"""What an execution did to each node instance, from its events."""

from __future__ import annotations

from tui.api.models import Event
from tui.live.trail import operation_name, trails


def event(n: int, instance: str, event_type: str, operation: str = "", message: str = "") -> Event:
    return Event(
        storage_id=n,
        type="cloudify_event",
        timestamp=None,
        message=message,
        event_type=event_type,
        node_instance_id=instance,
        operation=operation,
    )


CREATE = "cloudify.interfaces.lifecycle.create"
START = "cloudify.interfaces.lifecycle.start"


def test_each_instance_keeps_its_last_step_and_its_first_failure() -> None:
    found = trails(
        [
            event(1, "", "workflow_started"),
            event(2, "vm_1", "task_started", CREATE),
            event(3, "app_1", "task_started", CREATE),
            event(4, "vm_1", "task_succeeded", CREATE),
            event(5, "app_1", "task_failed", CREATE, "boom"),
            event(6, "app_1", "task_failed", START, "second"),
            event(7, "vm_1", "task_started", START),
        ]
    )
    assert list(found) == ["vm_1", "app_1"]  # in the order the run reached them
    vm, app = found["vm_1"], found["app_1"]
    assert (vm.last_operation, vm.last_outcome, vm.failed, vm.events) == (
        START,
        "started",
        False,
        3,
    )
    assert (app.failed_operation, app.failed_message) == (CREATE, "boom")
    assert app.last_operation == START and app.failed


def test_a_log_line_counts_but_keeps_the_last_outcome() -> None:
    found = trails(
        [
            event(1, "vm_1", "task_succeeded", CREATE),
            Event(
                storage_id=2,
                type="cloudify_log",
                timestamp=None,
                message="hi",
                node_instance_id="vm_1",
            ),
        ]
    )
    assert (found["vm_1"].last_outcome, found["vm_1"].last_operation) == ("succeeded", CREATE)
    assert found["vm_1"].events == 2


def test_operation_names_are_their_last_segment() -> None:
    assert operation_name(CREATE) == "create"
    assert operation_name("") == ""
    assert operation_name("plain") == "plain"


def test_a_trail_carries_its_instance_id() -> None:
    """The instances screen finds each row's trail by the id the trail carries."""
    found = trails([event(1, "vm_1", "task_started", CREATE), event(2, "vm_1", "task_failed")])
    assert [t.instance_id for t in found.values()] == ["vm_1"]


def test_a_failure_of_an_unknown_operation_is_a_question_mark() -> None:
    """A task that failed before any event named its operation is still a failure:
    the row says "failed in ?" rather than look as if nothing failed."""
    found = trails([event(1, "vm_1", "task_failed", message="worker lost")])["vm_1"]
    assert (found.failed, found.failed_operation, found.failed_message) == (
        True,
        "?",
        "worker lost",
    )
    assert (found.last_operation, found.last_outcome, found.events) == ("", "failed", 1)
