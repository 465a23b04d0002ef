"""Events and logs: how the engine records them and how `/events` serves them."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams

from tui.manager.clock import format_timestamp, parse_timestamp
from tui.manager.columns import dumps
from tui.manager.errors import BadParameters, Conflict, Forbidden, NotFound
from tui.manager.listing import (
    ListQuery,
    Where,
    envelope,
    page,
    pagination_int,
    parse_include,
)
from tui.manager.services import MANAGER_NAME, Services
from tui.manager.store import marks
from tui.manager.tables import EVENTS

# The keys of `/events`: filters (`message.text` is `message`) and sort keys.
FILTERS = EVENTS.filters
LIKE_FILTERS = {"message", "operation"}  # SQL LIKE patterns, not exact values
SORTS = EVENTS.sorts
# Arguments `/events` takes and ignores (or reads apart, like `type`).
PASSED_OVER = ("type", "_offset", "_size", "_include", "_all_tenants", "_get_all_results")


def event_row(
    execution: sqlite3.Row | Mapping[str, Any],
    stamp: str,
    message: str,
    *,
    event_type: str | None = None,
    level: str | None = None,
    node_instance_id: str | None = None,
    node_name: str | None = None,
    operation: str | None = None,
    error_causes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One row to insert: an event when `event_type` is given, otherwise a log."""
    is_log = not event_type
    return {
        **_about(execution),
        "type": "cloudify_log" if is_log else "cloudify_event",
        "timestamp": stamp,
        "reported_timestamp": stamp,
        "message": message.replace("\x00", "<NUL>"),
        "event_type": event_type,
        "level": level if is_log else None,
        "logger": "ctx.workflow" if is_log else None,
        "node_instance_id": node_instance_id,
        "node_name": node_name,
        "operation": operation,
        "source_id": None,
        "target_id": None,
        "error_causes": dumps(error_causes) if error_causes else None,
        "manager_name": MANAGER_NAME,
        "agent_name": None,
    }


def _about(execution: sqlite3.Row | Mapping[str, Any]) -> dict[str, Any]:
    """The columns an event takes from its execution."""
    return {
        "tenant": execution["tenant"],
        "execution_id": execution["id"],
        "execution_group_id": (
            execution["execution_group_id"]
            if "execution_group_id" in execution.keys()  # noqa: SIM118  (a Row: `in` reads values)
            else None
        ),
        "deployment_id": execution["deployment_id"],
        "deployment_display_name": execution["deployment_display_name"],
        "workflow_id": execution["workflow_id"],
        "blueprint_id": execution["blueprint_id"],
    }


def insert_events(services: Services, rows: list[dict[str, Any]]) -> None:
    services.store.insert_many("events", rows)


def _range_clause(raw: str) -> tuple[str, list[Any]]:
    field, _, bounds = raw.partition(",")
    field = field.lstrip("@")
    start, _, end = bounds.partition(",")
    if field not in ("timestamp", "reported_timestamp") or (not start and not end):
        raise BadParameters(f"Invalid range: {raw}")
    clauses, args = [], []
    try:
        if start:
            clauses.append(f"{field} >= ?")
            args.append(format_timestamp(parse_timestamp(start)))
        if end:
            clauses.append(f"{field} < ?")
            args.append(format_timestamp(parse_timestamp(end)))
    except ValueError:
        raise BadParameters(f"Invalid range: {raw}") from None
    return " AND ".join(clauses), args


def list_events(services: Services, tenants: list[str], params: QueryParams) -> dict[str, Any]:
    """`GET /events`: its own list rules. Filters of `message` and `operation` are LIKE
    patterns, `_range` bounds a time, `_include` takes any name, the default page is
    10000 and sorting by anything ends with time in the last sort's direction."""
    where = Where().within("tenant", tenants)
    _by_type(where, params.getlist("type"))
    sorts = _scan(where, params)
    _filter(where, params)
    q = ListQuery(
        pagination_int(params, "_size", 10000),
        pagination_int(params, "_offset", 0),
        False,
        sorts,
        parse_include(params, None),
        {},
    )
    direction = "DESC" if sorts and sorts[-1][1] else "ASC"
    tiebreak = (f"timestamp {direction}", f"storage_id {direction}")
    rows, total = page(services.store, q, "events", SORTS, where, tiebreak)
    render = EVENTS.renderer(q.include or None)
    return envelope([render(row) for row in rows], total, q, with_filtered=False)


def _by_type(where: Where, types: list[str]) -> None:
    """`type`: events, logs or both; any other value matches nothing."""
    if not types:
        return
    wanted = [t for t in types if t in ("cloudify_event", "cloudify_log")]
    if not wanted:
        where.add("0")
    else:
        where.within("type", wanted)


def _scan(where: Where, params: QueryParams) -> list[tuple[str, bool]]:
    """The sort keys and the `_range` bounds, in the order given; an unknown sort key
    or filter key is refused."""
    sorts: list[tuple[str, bool]] = []
    for key, value in params.multi_items():
        if key in PASSED_OVER:
            continue
        if key == "_sort":
            desc = value.startswith("-")
            name = value.lstrip("+-").lstrip("@")
            if name not in SORTS:
                raise BadParameters(f"Unknown field to sort by: {name}")
            sorts.append((name, desc))
        elif key == "_range":
            clause, args = _range_clause(value)
            where.add(clause, *args)
        elif ("message" if key == "message.text" else key) not in FILTERS:
            raise BadParameters(
                f"Unknown field to filter by: {key}. Allowed values: " + ", ".join(sorted(FILTERS))
            )
    return sorts


def _filter(where: Where, params: QueryParams) -> None:
    for name, field in FILTERS.items():
        values = params.getlist(name)
        if name == "message":
            values += params.getlist("message.text")
        if not values:
            continue
        if name == "event_type":
            where.add("type = 'cloudify_event'")
        if name == "level":
            where.add("type = 'cloudify_log'")
        if name in LIKE_FILTERS:
            where.add("(" + " OR ".join(f"{field.sql} LIKE ?" for _ in values) + ")", *values)
        else:
            where.add(f"{field.sql} IN ({marks(values)})", *values)


def _text(message: Any) -> str:
    text = message.get("text") if isinstance(message, dict) else message
    return str(text if text is not None else "").replace("\x00", "<NUL>")


def _stamp(value: Any, default: str) -> str:
    if not value:
        return default
    try:
        return format_timestamp(parse_timestamp(str(value)))
    except ValueError:
        raise BadParameters(f"Invalid timestamp: {value}") from None


def create_events(
    services: Services,
    tenants: list[str],
    body: dict[str, Any],
    username: str,
    is_admin: bool,
    sender_timestamps: bool = True,
) -> int:
    """`POST /events` (what workers send): store events and logs of one execution.

    Returns how many were stored. In this format `context.node_id` is the node
    *instance* id; the node name is looked up from it. Without `sender_timestamps`
    (a 6.2 manager) both times are the manager's and nobody needs `set_timestamp`.
    """
    raw_events = body.get("events") or []
    raw_logs = body.get("logs") or []
    if not isinstance(raw_events, list) or not isinstance(raw_logs, list):
        raise BadParameters("events and logs must be lists")
    execution = _execution_of(services, tenants, body)
    items = [(True, item) for item in raw_events] + [(False, item) for item in raw_logs]
    if not all(isinstance(item, dict) for _, item in items):
        raise BadParameters("every event and log must be an object")
    if not sender_timestamps:
        items = [(is_event, _without_times(item)) for is_event, item in items]
    if not is_admin and any(item.get("reported_timestamp") for _, item in items):
        raise Forbidden(
            f"User `{username}` is not permitted to perform the action set_timestamp in the "
            f"tenant `{execution['tenant']}`"
        )
    if not items:
        return 0
    names = _node_names(services, execution)
    now = services.clock.stamp()
    rows = [_posted_row(execution, body, is_event, item, names, now) for is_event, item in items]
    with services.store.tx():
        insert_events(services, rows)
    return len(rows)


def _execution_of(
    services: Services, tenants: list[str], body: dict[str, Any]
) -> sqlite3.Row | Mapping[str, Any]:
    """The execution the events belong to, or the execution group (events of the group
    itself: no execution, no deployment)."""
    exec_id = body.get("execution_id")
    if exec_id and body.get("execution_group_id"):
        raise Conflict("Cannot provide both execution_id and execution_group_id.")
    if body.get("execution_group_id"):
        group_id = body["execution_group_id"]
        group = services.store.one(
            f"SELECT tenant FROM execution_groups WHERE id = ? AND tenant IN ({marks(tenants)})",
            (group_id, *tenants),
        )
        if group is None:
            raise NotFound(f"Requested `ExecutionGroup` with ID `{group_id}` was not found")
        return {
            "tenant": group["tenant"],
            "id": None,
            "execution_group_id": group_id,
            **dict.fromkeys(("deployment_id", "deployment_display_name", "workflow_id")),
            "blueprint_id": None,
        }
    if not exec_id:
        raise Conflict("No execution passed, and not authenticated by an execution token")
    execution = services.store.one(
        f"SELECT * FROM executions WHERE id = ? AND tenant IN ({marks(tenants)})",
        (exec_id, *tenants),
    )
    if execution is None:
        raise NotFound(f"Requested `Execution` with ID `{exec_id}` was not found")
    return execution


def _without_times(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("timestamp", "reported_timestamp")}


def _node_names(services: Services, execution: sqlite3.Row | Mapping[str, Any]) -> dict[str, str]:
    """Node instance id -> node name, in the execution's deployment."""
    return {
        r["id"]: r["node_id"]
        for r in services.store.all(
            "SELECT ni.id, ni.node_id FROM node_instances ni JOIN deployments d "
            "ON d.pk = ni.deployment_pk WHERE d.tenant = ? AND d.id = ?",
            (execution["tenant"], execution["deployment_id"]),
        )
    }


def _posted_row(
    execution: sqlite3.Row | Mapping[str, Any],
    body: dict[str, Any],
    is_event: bool,
    item: dict[str, Any],
    names: dict[str, str],
    now: str,
) -> dict[str, Any]:
    """The row of one posted event (`is_event`) or log."""
    context = item.get("context") or {}
    instance = context.get("node_id")
    causes = context.get("task_error_causes") if is_event else None
    return {
        **_about(execution),
        "type": "cloudify_event" if is_event else "cloudify_log",
        "timestamp": _stamp(item.get("timestamp"), now),
        "reported_timestamp": _stamp(item.get("reported_timestamp"), now),
        "message": _text(item.get("message")),
        "event_type": item.get("event_type") if is_event else None,
        "level": None if is_event else item.get("level"),
        "logger": None if is_event else item.get("logger"),
        "node_instance_id": instance,
        "node_name": names.get(instance),
        "operation": item.get("operation") if is_event else context.get("operation"),
        "source_id": context.get("source_id"),
        "target_id": context.get("target_id"),
        "error_causes": dumps(causes) if causes is not None else None,
        "manager_name": body.get("manager_name"),
        "agent_name": body.get("agent_name"),
    }
