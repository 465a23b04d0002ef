"""Events and logs: how the engine records them and how `/events` serves them."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.datastructures import QueryParams

from tui.manager.clock import format_timestamp, parse_timestamp
from tui.manager.errors import BadParameters, Conflict, Forbidden, NotFound
from tui.manager.listing import ListQuery, _pagination_int, envelope
from tui.manager.services import MANAGER_NAME, Services
from tui.manager.store import dumps, loads

EVENT_FILTERS = {
    "blueprint_id": "blueprint_id",
    "deployment_id": "deployment_id",
    "event_type": "event_type",
    "execution_group_id": "NULL",
    "execution_id": "execution_id",
    "level": "level",
    "message": "message",
    "node_id": "node_name",
    "node_instance_id": "node_instance_id",
    "operation": "operation",
}
LIKE_FILTERS = {"message", "operation"}
EVENT_SORTS = {
    "timestamp": "timestamp",
    "reported_timestamp": "reported_timestamp",
    "_storage_id": "storage_id",
    "message": "message",
    "event_type": "event_type",
    "level": "level",
    "deployment_id": "deployment_id",
    "execution_id": "execution_id",
    "node_instance_id": "node_instance_id",
    "node_name": "node_name",
    "operation": "operation",
    "workflow_id": "workflow_id",
    "blueprint_id": "blueprint_id",
    "type": "type",
    "logger": "logger",
}
INSERT = (
    "INSERT INTO events (tenant, type, execution_id, deployment_id, deployment_display_name, "
    "workflow_id, blueprint_id, timestamp, reported_timestamp, message, event_type, level, "
    "logger, node_instance_id, node_name, operation, source_id, target_id, error_causes, "
    "manager_name, agent_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def event_row(
    execution: sqlite3.Row | dict[str, Any],
    stamp: str,
    message: str,
    *,
    event_type: str | None = None,
    level: str | None = None,
    node_instance_id: str | None = None,
    node_name: str | None = None,
    operation: str | None = None,
    error_causes: list[dict[str, Any]] | None = None,
) -> tuple[Any, ...]:
    """One row for INSERT: an event when `event_type` is given, otherwise a log."""
    kind = "cloudify_event" if event_type else "cloudify_log"
    return (
        execution["tenant"],
        kind,
        execution["id"],
        execution["deployment_id"],
        execution["deployment_display_name"],
        execution["workflow_id"],
        execution["blueprint_id"],
        stamp,
        stamp,
        message.replace("\x00", "<NUL>"),
        event_type,
        level if kind == "cloudify_log" else None,
        "ctx.workflow" if kind == "cloudify_log" else None,
        node_instance_id,
        node_name,
        operation,
        None,
        None,
        dumps(error_causes) if error_causes else None,
        MANAGER_NAME,
        None,
    )


def insert_events(services: Services, rows: list[tuple[Any, ...]]) -> None:
    services.store.executemany(INSERT, rows)


def render_event(row: sqlite3.Row) -> dict[str, Any]:
    is_log = row["type"] == "cloudify_log"
    item = {
        "_storage_id": row["storage_id"],
        "timestamp": row["timestamp"],
        "reported_timestamp": row["reported_timestamp"],
        "blueprint_id": row["blueprint_id"],
        "deployment_id": row["deployment_id"],
        "deployment_display_name": row["deployment_display_name"],
        "workflow_id": row["workflow_id"],
        "execution_id": row["execution_id"],
        "execution_group_id": None,
        "message": row["message"],
        "error_causes": loads(row["error_causes"]),
        "operation": row["operation"],
        "node_instance_id": row["node_instance_id"],
        "node_name": row["node_name"],
        "source_id": row["source_id"],
        "target_id": row["target_id"],
        "type": row["type"],
        "manager_name": row["manager_name"],
        "agent_name": row["agent_name"],
    }
    if is_log:
        item["level"] = row["level"]
        item["logger"] = row["logger"]
    else:
        item["event_type"] = row["event_type"]
    return item


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
    size = _pagination_int(params, "_size", 10000)
    offset = _pagination_int(params, "_offset", 0)
    clauses = [f"tenant IN ({','.join('?' for _ in tenants)})"]
    args: list[Any] = list(tenants)
    types = params.getlist("type")
    if types:
        wanted = [t for t in types if t in ("cloudify_event", "cloudify_log")]
        if not wanted:
            clauses.append("0")
        else:
            clauses.append(f"type IN ({','.join('?' for _ in wanted)})")
            args.extend(wanted)
    sorts: list[tuple[str, bool]] = []
    for key, value in params.multi_items():
        if key in ("type", "_offset", "_size", "_include", "_all_tenants", "_get_all_results"):
            continue
        if key == "_sort":
            desc = value.startswith("-")
            name = value.lstrip("+-").lstrip("@")
            if name not in EVENT_SORTS:
                raise BadParameters(f"Unknown field to sort by: {name}")
            sorts.append((EVENT_SORTS[name], desc))
            continue
        if key == "_range":
            clause, extra = _range_clause(value)
            clauses.append(clause)
            args.extend(extra)
            continue
        name = "message" if key == "message.text" else key
        if name not in EVENT_FILTERS:
            raise BadParameters(
                f"Unknown field to filter by: {key}. Allowed values: "
                + ", ".join(sorted(EVENT_FILTERS))
            )
    for name, column in EVENT_FILTERS.items():
        values = params.getlist(name)
        if name == "message":
            values += params.getlist("message.text")
        if not values:
            continue
        if name == "event_type":
            clauses.append("type = 'cloudify_event'")
        if name == "level":
            clauses.append("type = 'cloudify_log'")
        if name in LIKE_FILTERS:
            clauses.append("(" + " OR ".join(f"{column} LIKE ?" for _ in values) + ")")
        else:
            clauses.append(f"{column} IN ({','.join('?' for _ in values)})")
        args.extend(values)
    where = " AND ".join(clauses)
    direction = "DESC" if sorts and sorts[-1][1] else "ASC"
    order = [f"{col} {'DESC' if desc else 'ASC'}" for col, desc in sorts]
    order += [f"timestamp {direction}", f"storage_id {direction}"]
    total = services.store.one(f"SELECT COUNT(*) AS n FROM events WHERE {where}", args)["n"]
    rows = services.store.all(
        f"SELECT * FROM events WHERE {where} ORDER BY {', '.join(order)} LIMIT ? OFFSET ?",
        [*args, size, offset],
    )
    include = None
    raw_include = params.getlist("_include")
    if raw_include:
        include = {p.strip() for raw in raw_include for p in raw.split(",") if p.strip()}
    items = [render_event(r) for r in rows]
    if include:
        items = [{k: v for k, v in item.items() if k in include} for item in items]
    query = ListQuery(size, offset, False, [], None, {})
    return envelope(items, total, query, with_filtered=False)


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
    exec_id = body.get("execution_id")
    if exec_id and body.get("execution_group_id"):
        raise Conflict("Cannot provide both execution_id and execution_group_id.")
    if body.get("execution_group_id"):
        group = body["execution_group_id"]
        raise NotFound(f"Requested `ExecutionGroup` with ID `{group}` was not found")
    if not exec_id:
        raise Conflict("No execution passed, and not authenticated by an execution token")
    execution = services.store.one(
        f"SELECT * FROM executions WHERE id = ? AND tenant IN ({','.join('?' for _ in tenants)})",
        (exec_id, *tenants),
    )
    if execution is None:
        raise NotFound(f"Requested `Execution` with ID `{exec_id}` was not found")
    items = [(True, item) for item in raw_events] + [(False, item) for item in raw_logs]
    if not all(isinstance(item, dict) for _, item in items):
        raise BadParameters("every event and log must be an object")
    if not sender_timestamps:
        items = [
            (
                is_event,
                {k: v for k, v in item.items() if k not in ("timestamp", "reported_timestamp")},
            )
            for is_event, item in items
        ]
    if not is_admin and any(item.get("reported_timestamp") for _, item in items):
        raise Forbidden(
            f"User `{username}` is not permitted to perform the action set_timestamp in the "
            f"tenant `{execution['tenant']}`"
        )
    if not items:
        return 0
    names = {
        r["id"]: r["node_id"]
        for r in services.store.all(
            "SELECT ni.id, ni.node_id FROM node_instances ni JOIN deployments d "
            "ON d.pk = ni.deployment_pk WHERE d.tenant = ? AND d.id = ?",
            (execution["tenant"], execution["deployment_id"]),
        )
    }
    now = services.clock.stamp()
    rows = []
    for is_event, item in items:
        context = item.get("context") or {}
        instance = context.get("node_id")
        causes = context.get("task_error_causes") if is_event else None
        rows.append(
            (
                execution["tenant"],
                "cloudify_event" if is_event else "cloudify_log",
                execution["id"],
                execution["deployment_id"],
                execution["deployment_display_name"],
                execution["workflow_id"],
                execution["blueprint_id"],
                _stamp(item.get("timestamp"), now),
                _stamp(item.get("reported_timestamp"), now),
                _text(item.get("message")),
                item.get("event_type") if is_event else None,
                None if is_event else item.get("level"),
                None if is_event else item.get("logger"),
                instance,
                names.get(instance),
                item.get("operation") if is_event else context.get("operation"),
                context.get("source_id"),
                context.get("target_id"),
                dumps(causes) if causes is not None else None,
                body.get("manager_name"),
                body.get("agent_name"),
            )
        )
    with services.store.tx():
        insert_events(services, rows)
    return len(rows)
