"""Users, tenants, roles and tokens: who may call what, with the real 401/403 bodies."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass

from tui.manager.clock import Clock, parse_timestamp
from tui.manager.errors import Forbidden, Unauthorized
from tui.manager.lockout import LockPolicy, record_failure, record_success
from tui.manager.store import Store

DEFAULT_TENANT = "default_tenant"
SECOND_TENANT = "team-eu"

# Tenant roles holding each permission this manager checks, as a real 7.0.4 manager
# ships them (its `permissions.py`, and `GET /permissions` of a running one); sys_admin
# holds every permission. The real `/workflows` is guarded by `deployment_list`.
EVERY_TENANT_ROLE = frozenset({"viewer", "operations", "user", "manager"})
ALL_BUT_VIEWER = frozenset({"operations", "user", "manager"})
PERMISSION_ROLES: dict[str, frozenset[str]] = {
    "blueprint_list": EVERY_TENANT_ROLE,
    "blueprint_get": EVERY_TENANT_ROLE,
    "deployment_list": EVERY_TENANT_ROLE,
    "deployment_get": EVERY_TENANT_ROLE,
    "deployment_create": ALL_BUT_VIEWER,
    "deployment_delete": ALL_BUT_VIEWER,
    "deployment_update": ALL_BUT_VIEWER,
    "labels_list": EVERY_TENANT_ROLE,
    "deployment_group_list": EVERY_TENANT_ROLE,
    "deployment_group_get": EVERY_TENANT_ROLE,
    "deployment_group_create": ALL_BUT_VIEWER,
    "deployment_group_update": ALL_BUT_VIEWER,
    "deployment_group_delete": ALL_BUT_VIEWER,
    "execution_group_list": EVERY_TENANT_ROLE,
    "execution_group_get": EVERY_TENANT_ROLE,
    "execution_group_create": ALL_BUT_VIEWER,
    "execution_group_cancel": ALL_BUT_VIEWER,
    "execution_group_update": ALL_BUT_VIEWER,
    "filter_list": EVERY_TENANT_ROLE,
    "filter_get": EVERY_TENANT_ROLE,
    "filter_create": ALL_BUT_VIEWER,
    "filter_update": ALL_BUT_VIEWER,
    "filter_delete": ALL_BUT_VIEWER,
    "deployment_modification_outputs": EVERY_TENANT_ROLE,
    "deployment_capabilities": EVERY_TENANT_ROLE,
    "node_list": EVERY_TENANT_ROLE,
    "node_instance_list": EVERY_TENANT_ROLE,
    "node_instance_get": EVERY_TENANT_ROLE,
    "node_instance_update": ALL_BUT_VIEWER,
    "execution_list": EVERY_TENANT_ROLE,
    "execution_get": EVERY_TENANT_ROLE,
    "execution_should_start": EVERY_TENANT_ROLE,
    "execution_start": ALL_BUT_VIEWER,
    "execution_cancel": ALL_BUT_VIEWER,
    "execution_status_update": ALL_BUT_VIEWER,
    "execution_delete": ALL_BUT_VIEWER,
    "event_list": EVERY_TENANT_ROLE,
    "event_create": ALL_BUT_VIEWER,
    # `operations` may read secrets but not write them.
    "secret_list": EVERY_TENANT_ROLE,
    "secret_get": EVERY_TENANT_ROLE,
    "secret_create": frozenset({"user", "manager"}),
    "secret_update": frozenset({"user", "manager"}),
    "secret_delete": frozenset({"user", "manager"}),
    "snapshot_create": frozenset(),  # sys_admin only
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(p for p, roles in PERMISSION_ROLES.items() if role in roles)
    for role in EVERY_TENANT_ROLE
}
TOKEN_RE = re.compile(r"^ctok-([A-Za-z0-9]{10})-([A-Za-z0-9]{40})$")


@dataclass(frozen=True)
class Identity:
    username: str
    role: str  # system role: sys_admin or default

    @property
    def is_admin(self) -> bool:
        return self.role == "sys_admin"


def hash_password(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 50_000).hex()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def set_user(store: Store, clock: Clock, username: str, password: str, role: str) -> None:
    salt = secrets.token_hex(8)
    store.execute(
        "INSERT INTO users (username, password_hash, salt, role, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET "
        "password_hash = excluded.password_hash, salt = excluded.salt, role = excluded.role",
        (username, hash_password(password, salt), salt, role, clock.stamp()),
    )


def add_membership(store: Store, username: str, tenant: str, role: str) -> None:
    store.execute(
        "INSERT OR REPLACE INTO user_tenants (username, tenant, role) VALUES (?, ?, ?)",
        (username, tenant, role),
    )


def auth_failed(username: str) -> Unauthorized:
    """The real answer to a wrong password and to any request of a locked account."""
    return Unauthorized(
        f"User unauthorized: Authentication failed for <User username=`{username}`>. "
        "Wrong credentials or locked account"
    )


class Authenticator:
    """Resolves request headers to an identity and checks tenant permissions."""

    def __init__(self, store: Store, clock: Clock, lock: LockPolicy | None = None) -> None:
        self.store = store
        self.clock = clock
        self.lock = lock or LockPolicy()
        # pbkdf2 is slow on purpose; remember verdicts by (stored hash, sha256 of the try).
        self._password_cache: dict[tuple[str, str], bool] = {}

    def authenticate(self, authorization: str | None, token: str | None) -> Identity:
        if authorization and authorization.lower().startswith("basic "):
            identity = self._basic(authorization[6:].strip())
            if identity is not None:
                return identity
        if token is not None:
            return self._token(token)
        raise Unauthorized("User unauthorized: No authentication info provided")

    def _basic(self, encoded: str) -> Identity | None:
        """The user of a Basic header, or None when Basic does not apply (as on the real
        one: a malformed header, a name not starting with a letter, an unknown user)."""
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not username or not username[0].isascii() or not username[0].isalpha():
            return None  # the real server skips Basic for such names
        row = self.store.one("SELECT * FROM users WHERE username = ?", (username,))
        if row is None:
            return None
        if not self._password_matches(row, password):
            record_failure(self.store, self.clock, username)
            raise auth_failed(username)
        # A right password is never refused for a lock: it ends it (real 7.0.4).
        record_success(self.store, row)
        return Identity(username, row["role"])

    def _password_matches(self, row: sqlite3.Row, password: str) -> bool:
        key = (row["password_hash"], hash_secret(password))
        ok = self._password_cache.get(key)
        if ok is None:
            ok = hmac.compare_digest(hash_password(password, row["salt"]), row["password_hash"])
            if len(self._password_cache) > 256:
                self._password_cache.clear()
            self._password_cache[key] = ok
        return ok

    def _token(self, value: str) -> Identity:
        match = TOKEN_RE.match(value.strip())
        if match is None:
            raise Unauthorized("User unauthorized: Invalid token structure")
        token_id, secret = match.groups()
        row = self.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
        if row is None or not hmac.compare_digest(row["secret_hash"], hash_secret(secret)):
            raise Unauthorized("User unauthorized: Unauthorized")
        if row["expiration_date"] and parse_timestamp(row["expiration_date"]) <= self.clock.now():
            raise Unauthorized("User unauthorized: Token is expired")
        user = self.store.one("SELECT * FROM users WHERE username = ?", (row["username"],))
        if user is None:
            raise Unauthorized("User unauthorized: Unauthorized")
        self.store.execute(
            "UPDATE tokens SET last_used = ? WHERE id = ?", (self.clock.stamp(), token_id)
        )
        # As on the real one, the token counts as used before the lock refuses it.
        if self.lock.is_locked(user, self.clock.now()):
            raise auth_failed(user["username"])
        return Identity(user["username"], user["role"])

    def tenant_role(self, identity: Identity, tenant: str | None) -> str:
        """The identity's role in `tenant`, or the real 403 for a missing or foreign tenant."""
        if not tenant:
            raise Forbidden("Authorization failed: tenant not provided")
        exists = self.store.one("SELECT 1 FROM tenants WHERE name = ?", (tenant,))
        if exists is not None:
            if identity.is_admin:
                return "sys_admin"
            row = self.store.one(
                "SELECT role FROM user_tenants WHERE username = ? AND tenant = ?",
                (identity.username, tenant),
            )
            if row is not None:
                return row["role"]
        raise Forbidden(
            f"Authorization failed: Tried to authenticate with invalid tenant name: {tenant}"
        )

    @staticmethod
    def require(identity: Identity, role: str, permission: str, tenant: str) -> None:
        if role == "sys_admin" or permission in ROLE_PERMISSIONS.get(role, set()):
            return
        raise Forbidden(
            f"User `{identity.username}` is not permitted to perform the action "
            f"{permission} in the tenant `{tenant}`"
        )


def new_token_parts() -> tuple[str, str]:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    token_id = "".join(secrets.choice(alphabet) for _ in range(10))
    secret = "".join(secrets.choice(alphabet) for _ in range(40))
    return token_id, secret
