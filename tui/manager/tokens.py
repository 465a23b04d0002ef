"""Authentication tokens: made with the expirations the real server accepts, seen by
their owner (and an admin), shown with their value masked except in the answer that
creates them."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.manager.auth import Identity, hash_secret, new_token_parts
from tui.manager.clock import format_timestamp, parse_timestamp
from tui.manager.errors import BadParameters, NotFound
from tui.manager.services import Services
from tui.manager.tables import TOKENS

_DELTA_RE = re.compile(r"\+(\d+) ?([a-z]+) ?")
_DELTA_UNIT_RE = re.compile(r"^(min(ute)?|h(our)?|d(ay)?|w(eek)?|mo(nth)?|y(ear)?)s?$")


def parse_expiration(text: str, now: float) -> float:
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


def _expiration(services: Services, given: Any) -> str | None:
    """The stored expiration of a new token (None: it never expires)."""
    if not given:
        return None
    try:
        when = parse_expiration(str(given), services.clock.now())
    except ValueError:
        raise BadParameters(f"Invalid expiration date: {given}") from None
    if when <= services.clock.now():
        raise BadParameters("Expiration date was in the past.")
    return format_timestamp(when)


def create_token(
    services: Services, identity: Identity, body: dict[str, Any]
) -> tuple[sqlite3.Row, str]:
    """A new token of the caller and its value, which only this answer shows."""
    expiration = _expiration(services, body.get("expiration_date"))
    token_id, secret = new_token_parts()
    with services.store.tx():
        services.store.insert(
            "tokens",
            {
                "id": token_id,
                "secret_hash": hash_secret(secret),
                "username": identity.username,
                "description": body.get("description"),
                "expiration_date": expiration,
                "last_used": None,
                "created_at": services.clock.stamp(),
            },
        )
    row = services.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
    assert row is not None
    return row, f"ctok-{token_id}-{secret}"


def find_own(services: Services, identity: Identity, token_id: str) -> sqlite3.Row:
    """The token `token_id`, if the caller may see it (its owner, or an admin)."""
    row = services.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
    if row is None or (not identity.is_admin and row["username"] != identity.username):
        raise NotFound(f"Could not find token {token_id}")
    return row


def render_token(
    services: Services,
    row: sqlite3.Row,
    include: Collection[str] | None = None,
    *,
    value: str | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """A token: its value masked unless given, its owner's system role."""

    def owner_role() -> str:
        if role is not None:
            return role
        user = services.store.one("SELECT role FROM users WHERE username = ?", (row["username"],))
        return user["role"] if user else "default"

    masked = value or f"ctok-{row['id']}-********"
    return TOKENS.render(row, include, value=masked, role=owner_role)
