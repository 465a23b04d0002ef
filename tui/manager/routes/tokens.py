"""`/tokens`: the caller's authentication tokens (every user's, for an admin)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.manager.auth import hash_secret, new_token_parts
from tui.manager.clock import format_timestamp, parse_timestamp
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.errors import BadParameters, NotFound
from tui.manager.listing import (
    Field,
    build_where,
    envelope,
    parse_list_query,
)


def _render_token(row: Any, role: str, value: str | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "value": value or f"ctok-{row['id']}-********",
        "username": row["username"],
        "role": role,
        "expiration_date": row["expiration_date"],
        "last_used": row["last_used"],
        "description": row["description"],
    }


def _user_role(ctx: Ctx, username: str) -> str:
    row = ctx.services.store.one("SELECT role FROM users WHERE username = ?", (username,))
    return row["role"] if row else "default"


_DELTA_RE = re.compile(r"\+(\d+) ?([a-z]+) ?")

_DELTA_UNIT_RE = re.compile(r"^(min(ute)?|h(our)?|d(ay)?|w(eek)?|mo(nth)?|y(ear)?)s?$")


def _parse_expiration(text: str, now: float) -> float:
    """What the real server's `parse_utc_datetime` accepts (and the official client
    sends as given): `+<n> <unit>` deltas such as `+10h` or `+1 day+30min`,
    `YYYY-MM-DD HH:MM` and `HH:MM` (UTC), plus ISO timestamps."""
    text = text.strip()
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        today = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        return parse_timestamp(f"{today} {text.zfill(5)}")
    if not text.startswith("+"):
        return parse_timestamp(text)
    deltas = _DELTA_RE.findall(text)
    if not deltas:
        raise ValueError(text)
    when = datetime.fromtimestamp(now, UTC).replace(second=0, microsecond=0)
    for number, unit in deltas:
        if not _DELTA_UNIT_RE.match(unit):
            raise ValueError(text)
        n = int(number)
        if unit.startswith("mi"):
            when += timedelta(minutes=n)
        elif unit.startswith("mo"):
            months = when.month - 1 + n
            when = when.replace(year=when.year + months // 12, month=months % 12 + 1)
        elif unit.startswith("h"):
            when += timedelta(hours=n)
        elif unit.startswith("d"):
            when += timedelta(days=n)
        elif unit.startswith("w"):
            when += timedelta(weeks=n)
        else:
            when = when.replace(year=when.year + n)
    return when.timestamp()


@endpoint(None, tenant=False, body=True)
async def tokens_create(request: Request, ctx: Ctx) -> Any:
    services = ctx.services
    expiration = ctx.body.get("expiration_date")
    if expiration:
        try:
            when = _parse_expiration(str(expiration), services.clock.now())
        except ValueError:
            raise BadParameters(f"Invalid expiration date: {expiration}") from None
        if when <= services.clock.now():
            raise BadParameters("Expiration date was in the past.")
        expiration = format_timestamp(when)
    token_id, secret = new_token_parts()
    with services.store.tx():
        services.store.execute(
            "INSERT INTO tokens (id, secret_hash, username, description, expiration_date, "
            "last_used, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (
                token_id,
                hash_secret(secret),
                ctx.identity.username,
                ctx.body.get("description"),
                expiration or None,
                services.clock.stamp(),
            ),
        )
    row = services.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
    return _render_token(row, ctx.identity.role, f"ctok-{token_id}-{secret}")


@endpoint(None, tenant=False)
async def tokens_list(request: Request, ctx: Ctx) -> Any:
    fields = {"id", "username", "description", "expiration_date", "last_used", "value", "role"}
    q = parse_list_query(
        request.query_params,
        filterable=fields - {"value", "role"},
        sortable=fields - {"value"},
        includable=fields,
    )
    clauses, args = build_where({k: Field(k) for k in fields}, q.filters)
    if not ctx.identity.is_admin:
        clauses.append("username = ?")
        args.append(ctx.identity.username)
    where = " AND ".join(clauses) or "1"
    total = ctx.services.store.one(f"SELECT COUNT(*) AS n FROM tokens WHERE {where}", args)["n"]
    order = ", ".join(
        [f"{name} {'DESC' if desc else 'ASC'}" for name, desc in q.sort] + ["created_at", "id"]
    )
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    rows = ctx.services.store.all(
        f"SELECT * FROM tokens WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", [*args, *limit]
    )
    items = [_render_token(r, _user_role(ctx, r["username"])) for r in rows]
    if q.include:
        items = [{k: v for k, v in i.items() if k in q.include} for i in items]
    return envelope(items, total, q)


def _own_token(ctx: Ctx, token_id: str) -> Any:
    row = ctx.services.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
    if row is None or (not ctx.identity.is_admin and row["username"] != ctx.identity.username):
        raise NotFound(f"Could not find token {token_id}")
    return row


@endpoint(None, tenant=False)
async def token_get(request: Request, ctx: Ctx) -> Any:
    row = _own_token(ctx, request.path_params["token_id"])
    return _render_token(row, _user_role(ctx, row["username"]))


@endpoint(None, tenant=False)
async def token_delete(request: Request, ctx: Ctx) -> Any:
    row = _own_token(ctx, request.path_params["token_id"])
    with ctx.services.store.tx():
        ctx.services.store.execute("DELETE FROM tokens WHERE id = ?", (row["id"],))
    return Response(status_code=204)


ROUTES = [
    Route(f"{API}/tokens", tokens_list, methods=["GET"]),
    Route(f"{API}/tokens", tokens_create, methods=["POST"]),
    Route(f"{API}/tokens/{{token_id}}", token_get, methods=["GET"]),
    Route(f"{API}/tokens/{{token_id}}", token_delete, methods=["DELETE"]),
]
