"""Models read from the manager's JSON field by field: what a row, a tail line or a
detail view shows comes from these keys, and a misread key shows a blank or a wrong
value without any error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tui.api.models import (
    Deployment,
    Event,
    Execution,
    ExecutionGroup,
    Label,
    NodeInstance,
    parse_time,
)


def test_times_keep_their_zone_and_naive_ones_are_utc() -> None:
    """A manager's `...Z` and a naive time are UTC; a time with its own offset keeps it
    (turning it into UTC by replacement would move it by the offset)."""
    assert parse_time("2030-01-02T03:04:05.000Z") == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2030-01-02T03:04:05") == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    plus_two = parse_time("2030-01-02T03:04:05+02:00")
    assert plus_two is not None
    assert plus_two.utcoffset() == timedelta(hours=2)
    assert plus_two == datetime(2030, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert plus_two.tzinfo == timezone(timedelta(hours=2))


def test_a_deployment_carries_its_labels() -> None:
    found = Deployment.from_json(
        {"id": "web", "labels": [{"key": "env", "value": "prod"}, {"key": "env", "value": "prod"}]}
    )
    assert found is not None
    assert found.labels == (Label("env", "prod"),)


def test_an_execution_never_has_fewer_than_no_operations() -> None:
    """A negative count (a manager's glitch) is shown as 0, and a real count as is."""
    low = Execution.from_json({"id": "e", "total_operations": -3, "finished_operations": 0})
    real = Execution.from_json({"id": "e", "total_operations": 6})
    assert low is not None and real is not None
    assert (low.total_operations, real.total_operations) == (0, 6)


def test_an_event_reads_each_of_its_fields() -> None:
    event = Event.from_json(
        {
            "_storage_id": 41,
            "type": "cloudify_log",
            "reported_timestamp": "2030-01-01T00:00:01.000Z",
            "timestamp": "2030-01-01T00:00:09.000Z",
            "message": "hello",
            "level": "warning",
            "node_instance_id": "vm_1",
            "operation": "cloudify.interfaces.lifecycle.start",
            "execution_id": "e1",
        }
    )
    assert event is not None
    assert (event.storage_id, event.level, event.operation) == (
        41,
        "warning",
        "cloudify.interfaces.lifecycle.start",
    )
    assert event.timestamp == "2030-01-01T00:00:01.000Z"  # when it happened, not stored
    fallback = Event.from_json({"message": "m", "timestamp": "2030-01-01T00:00:09.000Z"})
    assert fallback is not None
    assert (fallback.timestamp, fallback.storage_id) == ("2030-01-01T00:00:09.000Z", -1)


def test_a_node_instance_reads_its_id_index_and_runtime_properties() -> None:
    instance = NodeInstance.from_json(
        {"id": "vm_1", "node_id": "vm", "index": 3, "runtime_properties": {"ip": "10.0.0.5"}}
    )
    assert instance is not None
    assert (instance.id, instance.index, instance.runtime_properties) == (
        "vm_1",
        3,
        {"ip": "10.0.0.5"},
    )
    assert NodeInstance.from_json({"node_id": "vm"}) is None  # no id: nothing to key a row by
    flagged = NodeInstance.from_json({"id": "vm_2", "index": True})
    assert flagged is not None and flagged.index is None


def test_an_execution_group_names_who_started_it() -> None:
    group = ExecutionGroup.from_json({"id": "g", "created_by": "operator"})
    assert group is not None
    assert group.created_by == "operator"
