"""Secrets: keys, visibility, hidden values and who may see or change what, as the
real manager's secrets resources and storage rules have them (7.0.4, probed).

- A key is unique in its tenant, and a `global` secret's key in every tenant. A
  request sees the secrets of its tenant (or of every tenant it may list, with
  `_all_tenants`) plus every global one.
- A `private` secret is seen only by its creator and by administrators of the
  request's tenant (`sys_admin`, or the tenant role `manager`).
- A hidden value (`is_hidden_value`) is shown, changed or deleted only by its
  creator and administrators of the secret's tenant; others read `""`.
- Visibility only widens (private, tenant, global), and only `sys_admin` makes a
  secret global. A global secret is changed only from its own tenant.
- Where the real manager answers with a stored value (the answers of PUT and PATCH)
  it shows ciphertext. This manager does not encrypt (values sit in its SQLite
  file, like everything else in the data directory) and shows an opaque token of
  the same shape there instead, so no answer but GET ever carries a value.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tui.manager import secret_schema
from tui.manager.bodies import param as _param
from tui.manager.bodies import visibility as _visibility
from tui.manager.columns import loads
from tui.manager.errors import (
    BadParameters,
    Conflict,
    Forbidden,
    IllegalAction,
    NotFound,
    crash,
)
from tui.manager.listing import ListQuery, Where, page, parse_bool
from tui.manager.services import Services
from tui.manager.store import marks
from tui.manager.tables import SECRETS

VISIBILITIES = ("private", "tenant", "global")
SHARED_VISIBILITIES = ("tenant", "global")  # what `set-visibility` accepts

# The keys of a listed secret (`SecretsListResponse`), also the allowed `_include`s.
LIST_KEYS = (
    "key",
    "created_at",
    "updated_at",
    "resource_availability",
    "visibility",
    "tenant_name",
    "created_by",
    "is_hidden_value",
    "provider_name",
)
KEY_MAX_LENGTH = 256
# A backslash-continued string literal in the real code keeps the 16 spaces.
EMPTY_VALUE = "Cannot create a secret with empty value or provider: " + " " * 16


@dataclass(frozen=True)
class Caller:
    """Who asks: what a secret shows and allows depends on the user and their roles."""

    username: str
    sys_admin: bool
    roles: dict[str, str] = field(default_factory=dict)  # tenant -> tenant role

    def administers(self, tenant: str) -> bool:
        """The real `is_administrator`: the `administrators` permission's roles."""
        return self.sys_admin or self.roles.get(tenant) == "manager"

    def may_see_hidden(self, row: sqlite3.Row) -> bool:
        """The real `is_hidden_value_permitted`: the secret's creator, or an
        administrator of the secret's own tenant."""
        return self.administers(row["tenant"]) or row["created_by"] == self.username


def caller_for(services: Services, username: str) -> Caller:
    store = services.store
    user = store.one("SELECT role FROM users WHERE username = ?", (username,))
    roles = store.all("SELECT tenant, role FROM user_tenants WHERE username = ?", (username,))
    return Caller(
        username,
        user is not None and user["role"] == "sys_admin",
        {r["tenant"]: r["role"] for r in roles},
    )


def validate_key(key: str) -> None:
    """The real `validate_inputs({'key': key})`, with its messages and their order."""
    prefix = "The `key` argument"
    if not key:
        raise BadParameters(f"{prefix} is empty")
    if len(key) > KEY_MAX_LENGTH:
        raise BadParameters(
            f"{prefix} is too long. Maximum allowed length is {KEY_MAX_LENGTH} characters"
        )
    if quote(key, safe="") != key:
        raise BadParameters(
            f'{prefix} contains illegal characters. Only letters, digits and the characters "-",'
            ' "." and "_" are allowed'
        )
    if key[0] not in string.ascii_letters:
        raise BadParameters(f"{prefix} must begin with a letter")


def opaque_token(text: str, now: float) -> str:
    """Where the real manager shows a stored value it shows a Fernet token: version
    byte, timestamp, IV, the padded ciphertext and an HMAC, base64url. This is a token
    of that shape and length, made of random bytes: it stands in for the ciphertext
    and carries nothing of the value."""
    padded = (len(text.encode()) // 16 + 1) * 16
    raw = b"\x80" + int(now).to_bytes(8, "big") + os.urandom(16 + padded + 32)
    return base64.urlsafe_b64encode(raw).decode()


# -- reading --------------------------------------------------------------------------------


def _visible(caller: Caller, tenant: str, tenants: list[str]) -> tuple[str, list[Any]]:
    """The real storage filters: the tenants asked for plus global secrets, and
    private ones only to their creator or an administrator of the request's tenant."""
    clause = f"(tenant IN ({marks(tenants)}) OR visibility = 'global')"
    args: list[Any] = list(tenants)
    if not caller.administers(tenant):
        clause += " AND (visibility != 'private' OR created_by = ?)"
        args.append(caller.username)
    return clause, args


def find(services: Services, caller: Caller, tenant: str, key: Any) -> sqlite3.Row:
    """The secret `key` as `caller` sees it from `tenant`, or the real 404."""
    row = None
    if isinstance(key, str):
        clause, args = _visible(caller, tenant, [tenant])
        row = services.store.one(f"SELECT * FROM secrets WHERE key = ? AND {clause}", (key, *args))
    if row is None:
        raise NotFound(f"Requested `Secret` with ID `{key}` was not found")
    return row


def list_secrets(
    services: Services, caller: Caller, tenant: str, tenants: list[str], q: ListQuery
) -> tuple[list[sqlite3.Row], int]:
    """One page of `GET /secrets` and the total, with filters and `_search` (a
    case-insensitive substring of the key)."""
    # `private_resource` is no column on the real manager: it accepts the filter and
    # ignores it, whatever the value (probed).
    filters = {k: v for k, v in q.filters.items() if k != "private_resource"}
    scope, scope_args = _visible(caller, tenant, tenants)
    where = Where().add(scope, *scope_args).filtered(SECRETS.filters, filters)
    for value in q.flags.get("_search", []):
        where.add("instr(lower(key), lower(?)) > 0", value)
    tiebreak = ("created_at ASC", "key ASC", "tenant ASC")
    rows, total = page(services.store, q, "secrets", SECRETS.filters, where, tiebreak)
    return rows, total


def value_for_function(services: Services, tenant: str, username: str, key: Any) -> str:
    """What `{get_secret: key}` reads for an execution: the stored text (JSON text for
    a secret with a schema), as its creator sees it from its tenant. A hidden value is
    read all the same; a private secret of someone else is not found."""
    return find(services, caller_for(services, username), tenant, key)["value"]


# -- rendering ------------------------------------------------------------------------------


def _render(row: sqlite3.Row, value: Any, provider_options: Any) -> dict[str, Any]:
    return SECRETS.render(row, value=value, provider_options=provider_options)


def render_written(row: sqlite3.Row) -> dict[str, Any]:
    """The answer to PUT, PATCH and set-visibility: tokens where values would be."""
    return _render(row, row["value_token"], row["options_token"])


def render_read(row: sqlite3.Row, caller: Caller, skip_value: bool) -> dict[str, Any]:
    """The answer to GET: the value, unless it is hidden from `caller` or skipped."""
    permitted = caller.may_see_hidden(row)
    value: Any = ""
    if permitted or not row["is_hidden_value"]:
        value = row["value"]
    if skip_value:
        value = ""
    elif value and row["schema"]:
        try:
            value = json.loads(value)
        except ValueError as exc:  # a value PATCHed raw onto a schema secret
            raise crash(
                f"json.decoder.JSONDecodeError: {exc}",
                "manager_rest/rest/resources_v3/secrets.py, in get",
            ) from None
    options = row["provider_options"] if row["provider_options"] and permitted else None
    return _render(row, value, options)


def render_listed(row: sqlite3.Row) -> dict[str, Any]:
    full = _render(row, None, None)
    return {k: full[k] for k in LIST_KEYS}


# -- writing --------------------------------------------------------------------------------


def _require_global(caller: Caller) -> None:
    if not caller.sys_admin:
        raise Forbidden(
            f"User `{caller.username}` is not permitted to set or create a global resource"
        )


def _require_str(value: Any) -> None:
    """The real manager encrypts the value with `value.encode()`: anything but a string
    (without a schema) crashes it."""
    if not isinstance(value, str):
        raise crash(
            f"AttributeError: '{type(value).__name__}' object has no attribute 'encode'",
            "cloudify/cryptography_utils.py, in encrypt",
        )


def _no_provider(name: Any) -> None:
    if name:  # this manager has no secrets providers: the real lookup's 404
        raise NotFound(f"Requested `SecretsProvider` with ID `{name}` was not found")


def _conflict(
    services: Services, tenant: str, key: str, visibility: str, *, existing: bool = False
) -> str | None:
    """The real uniqueness rule's message, if `key` with `visibility` would clash: a
    global key clashes with the key in any tenant, another key with the same key in
    its tenant or a global one. `existing`: the secret is already there (a change of
    visibility), so it does not clash with itself."""
    if visibility == "global":
        sql = "SELECT 1 FROM secrets WHERE key = ?" + (" AND tenant != ?" if existing else "")
        clash = services.store.one(sql, (key, tenant) if existing else (key,))
        message = (
            f"Can't set or create the resource <Secret id=`{key}` tenant=`{tenant}`>, its "
            "visibility can't be global because it also exists in other tenants"
        )
    else:
        clash = services.store.one(
            "SELECT 1 FROM secrets WHERE key = ? AND (tenant = ? OR visibility = 'global')",
            (key, tenant),
        )
        message = (
            f"<Secret id=`{key}` tenant=`{tenant}`> already exists on <Tenant name=`{tenant}`> "
            "or with global visibility"
        )
    return None if clash is None else message


def _check_modifiable(caller: Caller, row: sqlite3.Row) -> None:
    if row["is_hidden_value"] and not caller.may_see_hidden(row):
        raise Forbidden(
            f"User `{caller.username}` is not permitted to modify the hidden value secret "
            f"`{row['key']}`"
        )


def _check_own_tenant(row: sqlite3.Row, tenant: str) -> None:
    if row["visibility"] == "global" and row["tenant"] != tenant:
        raise IllegalAction(
            f"Can't modify the global resource `{row['key']}` from outside its tenant "
            f"`{row['tenant']}`"
        )


def _check_widening(caller: Caller, row: sqlite3.Row, visibility: str) -> None:
    if VISIBILITIES.index(row["visibility"]) > VISIBILITIES.index(visibility):
        raise IllegalAction(
            f"Can't set the visibility of `{row['key']}` to {visibility} because it already "
            "has wider visibility"
        )
    if visibility == "global":
        _require_global(caller)


def _write(services: Services, row: sqlite3.Row, changes: dict[str, Any]) -> sqlite3.Row:
    columns = ", ".join(f"{name} = ?" for name in changes)
    with services.store.tx():
        services.store.execute(
            f"UPDATE secrets SET {columns} WHERE tenant = ? AND key = ?",
            (*changes.values(), row["tenant"], row["key"]),
        )
    updated = services.store.one(
        "SELECT * FROM secrets WHERE tenant = ? AND key = ?", (row["tenant"], row["key"])
    )
    assert updated is not None
    return updated


def _new_value(services: Services, value: str) -> dict[str, Any]:
    return {"value": value, "value_token": opaque_token(value, services.clock.now())}


def _new_options(services: Services, options: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(options)
    return {"provider_options": text, "options_token": opaque_token(text, services.clock.now())}


def create(
    services: Services, caller: Caller, tenant: str, key: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PUT /secrets/<key>`: create, or with `update_if_exists` replace the value (and
    only the value and provider options) of the secret already there."""
    value = _param(body, "value", None, required=True)
    schema = _param(body, "schema", dict) or None
    provider_name = _param(body, "provider_name", str)
    options = _param(body, "provider_options", dict) or None
    if schema:
        secret_schema.check_schema(schema)
        secret_schema.validate(value, schema)
        value = json.dumps(value)
    update_if_exists = parse_bool(body.get("update_if_exists", False), "update_if_exists")
    hidden = parse_bool(body.get("is_hidden_value", False), "is_hidden_value")
    visibility = _visibility(body, VISIBILITIES)
    if visibility == "global":
        _require_global(caller)
    visibility = visibility or "tenant"
    _no_provider(provider_name)
    if not value:
        raise BadParameters(f"{EMPTY_VALUE}{key}")
    _require_str(value)
    conflict = _conflict(services, tenant, key, visibility)
    if conflict is not None:
        if not update_if_exists:
            raise Conflict(conflict)
        existing = find(services, caller, tenant, key)
        _check_own_tenant(existing, tenant)
        changes = _new_value(services, value)
        if options:
            changes.update(_new_options(services, options))
        changes["updated_at"] = services.clock.stamp()
        return _write(services, existing, changes)
    stamp = services.clock.stamp()
    option_columns = _new_options(services, options) if options else {}
    with services.store.tx():
        services.store.insert(
            "secrets",
            {
                "tenant": tenant,
                "key": key,
                "value": value,
                "value_token": opaque_token(value, services.clock.now()),
                "schema": json.dumps(schema) if schema else None,
                "provider_options": option_columns.get("provider_options"),
                "options_token": option_columns.get("options_token"),
                "visibility": visibility,
                "is_hidden_value": int(hidden),
                "created_at": stamp,
                "updated_at": stamp,
                "created_by": caller.username,
            },
        )
    row = services.store.one("SELECT * FROM secrets WHERE tenant = ? AND key = ?", (tenant, key))
    assert row is not None
    return row


def update(
    services: Services, caller: Caller, tenant: str, key: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PATCH /secrets/<key>`: each given field, checked in the real order; nothing is
    written unless every check passes."""
    if not body:
        raise IllegalAction("Update a secret request must include at least one parameter to update")
    row = find(services, caller, tenant, key)
    _check_modifiable(caller, row)
    changes: dict[str, Any] = {}
    hidden = body.get("is_hidden_value")
    if hidden is not None:
        hidden = parse_bool(hidden, "is_hidden_value")
        if not caller.may_see_hidden(row):
            raise Forbidden(
                f"User `{caller.username}` is not permitted to modify the secret `{key}` to be "
                "hidden value"
            )
        changes["is_hidden_value"] = int(hidden)
    visibility = _visibility(body, VISIBILITIES)
    if visibility:
        _check_widening(caller, row, visibility)
        changes["visibility"] = visibility
    value = _param(body, "value", None)
    if value:
        schema = loads(row["schema"])
        if schema:
            secret_schema.validate(value, schema)
        _require_str(value)  # the real one does not encode JSON here, schema or not
        changes.update(_new_value(services, value))
    creator = _param(body, "creator", str)
    if creator:
        if not caller.sys_admin:
            raise Forbidden(
                f"User `{caller.username}` is not permitted to perform the action set_owner"
            )
        if services.store.one("SELECT 1 FROM users WHERE username = ?", (creator,)) is None:
            raise BadParameters(f"User {creator} does not exist.")
        changes["created_by"] = creator
    _no_provider(_param(body, "provider_name", str))
    options = _param(body, "provider_options", dict)
    if options:
        changes.update(_new_options(services, options))
    changes["updated_at"] = services.clock.stamp()
    _check_own_tenant(row, tenant)
    if changes.get("visibility") == "global" and row["visibility"] != "global":
        conflict = _conflict(services, tenant, key, "global", existing=True)
        if conflict is not None:
            raise Conflict(conflict)
    return _write(services, row, changes)


def set_visibility(
    services: Services, caller: Caller, tenant: str, key: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PATCH /secrets/<key>/set-visibility` (`cfy secrets set-visibility`)."""
    visibility = _visibility(body, SHARED_VISIBILITIES, required=True)
    row = find(services, caller, tenant, key)
    _check_widening(caller, row, visibility)
    if visibility == "global" and row["visibility"] != "global":
        conflict = _conflict(services, tenant, key, "global", existing=True)
        if conflict is not None:
            raise Conflict(conflict)
    return _write(services, row, {"visibility": visibility, "updated_at": services.clock.stamp()})


def delete(services: Services, caller: Caller, tenant: str, key: str) -> None:
    row = find(services, caller, tenant, key)
    _check_modifiable(caller, row)
    _check_own_tenant(row, tenant)
    with services.store.tx():
        services.store.execute(
            "DELETE FROM secrets WHERE tenant = ? AND key = ?", (row["tenant"], row["key"])
        )
