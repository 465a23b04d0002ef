"""SQLite state of the embedded manager.

One connection, used from the server's event loop only, in WAL mode: a commit is on
disk before the HTTP answer that acknowledges it is sent, so a kill -9 loses nothing
that was acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "2"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, created_at TEXT);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, salt TEXT NOT NULL,
    role TEXT NOT NULL, created_at TEXT,
    failed_logins_counter INTEGER NOT NULL DEFAULT 0, last_failed_login_at TEXT
);
CREATE TABLE IF NOT EXISTS user_tenants (
    username TEXT NOT NULL, tenant TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (username, tenant)
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, username TEXT NOT NULL,
    description TEXT, expiration_date TEXT, last_used TEXT, created_at TEXT
);
CREATE TABLE IF NOT EXISTS blueprints (
    tenant TEXT NOT NULL, id TEXT NOT NULL, plan TEXT NOT NULL, description TEXT,
    main_file_name TEXT, created_at TEXT, updated_at TEXT, created_by TEXT,
    visibility TEXT, PRIMARY KEY (tenant, id)
);
CREATE TABLE IF NOT EXISTS deployments (
    pk INTEGER PRIMARY KEY, tenant TEXT NOT NULL, id TEXT NOT NULL,
    display_name TEXT, blueprint_id TEXT, description TEXT,
    created_at TEXT, updated_at TEXT, created_by TEXT, visibility TEXT, site_name TEXT,
    inputs TEXT, outputs TEXT, capabilities TEXT, workflows TEXT, nodes TEXT,
    labels TEXT, groups_ TEXT, scaling_groups TEXT, policy_types TEXT,
    policy_triggers TEXT, resource_tags TEXT, runtime_only_evaluation INTEGER,
    latest_execution TEXT, create_execution TEXT,
    installation_status TEXT, deployment_status TEXT,
    UNIQUE (tenant, id)
);
CREATE INDEX IF NOT EXISTS deployments_by_created ON deployments (tenant, created_at, pk);
-- Covers counts, searches by id and pages sorted by id, and the join to the latest
-- execution, without reading the (large) deployment rows.
CREATE INDEX IF NOT EXISTS deployments_by_id ON deployments (tenant, id, latest_execution);
CREATE TABLE IF NOT EXISTS node_instances (
    deployment_pk INTEGER NOT NULL, id TEXT NOT NULL, node_id TEXT NOT NULL,
    state TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (deployment_pk, id)
);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, workflow_id TEXT, deployment_id TEXT,
    deployment_display_name TEXT, blueprint_id TEXT, status TEXT NOT NULL, error TEXT,
    parameters TEXT, allow_custom_parameters INTEGER, is_dry_run INTEGER,
    is_system_workflow INTEGER, created_at TEXT, started_at TEXT, ended_at TEXT,
    scheduled_for TEXT, created_by TEXT, visibility TEXT, resume INTEGER,
    total_operations INTEGER, finished_operations INTEGER, wait_after_fail INTEGER
);
CREATE INDEX IF NOT EXISTS executions_by_deployment
    ON executions (tenant, deployment_id, created_at);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (tenant, status, created_at);
-- Across tenants: what runs or waits anywhere (the queue, a running system workflow
-- that queues every start) is found without reading every execution.
CREATE INDEX IF NOT EXISTS executions_by_state ON executions (status, created_at);
CREATE INDEX IF NOT EXISTS executions_by_created ON executions (tenant, created_at);
CREATE TABLE IF NOT EXISTS events (
    storage_id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL,
    type TEXT NOT NULL, execution_id TEXT, deployment_id TEXT,
    deployment_display_name TEXT, workflow_id TEXT, blueprint_id TEXT,
    timestamp TEXT, reported_timestamp TEXT, message TEXT, event_type TEXT,
    level TEXT, logger TEXT, node_instance_id TEXT, node_name TEXT, operation TEXT,
    source_id TEXT, target_id TEXT, error_causes TEXT, manager_name TEXT, agent_name TEXT
);
CREATE INDEX IF NOT EXISTS events_by_execution
    ON events (execution_id, reported_timestamp, storage_id);
CREATE INDEX IF NOT EXISTS events_by_deployment ON events (tenant, deployment_id);
-- One execution's events, as `/events` lists them (tenant first, in list order).
CREATE INDEX IF NOT EXISTS events_by_tenant_execution
    ON events (tenant, execution_id, reported_timestamp, timestamp, storage_id);
-- Secrets, one per key in a tenant (a global key is unique across tenants). `value`
-- is what GET shows (JSON text when there is a schema); `value_token` and
-- `options_token` stand where the real manager shows ciphertext (see secrets.py).
CREATE TABLE IF NOT EXISTS secrets (
    tenant TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, value_token TEXT NOT NULL,
    schema TEXT, provider_options TEXT, options_token TEXT,
    visibility TEXT NOT NULL, is_hidden_value INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, created_by TEXT NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE INDEX IF NOT EXISTS secrets_by_key ON secrets (key);
-- Parameters of an execution whose value was computed from a secret: the engine
-- masks them in the log it writes.
CREATE TABLE IF NOT EXISTS secret_parameters (
    execution_id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (execution_id, name)
);
CREATE VIEW IF NOT EXISTS deployments_v AS
    SELECT d.*,
        e.workflow_id AS latest_execution_workflow_id,
        COALESCE(e.total_operations, 0) AS latest_execution_total_operations,
        COALESCE(e.finished_operations, 0) AS latest_execution_finished_operations,
        CASE
            WHEN e.status IS NULL OR e.status = 'scheduled' THEN NULL
            WHEN e.status = 'terminated' THEN 'completed'
            WHEN e.status IN ('failed', 'cancelled') THEN e.status
            ELSE 'in_progress'
        END AS latest_execution_status
    FROM deployments d LEFT JOIN executions e ON e.id = d.latest_execution;
"""


class Store:
    """A thin wrapper around one SQLite connection with a transaction helper."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives any process crash (kill -9); only a power cut
        # could lose the last transactions.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.executescript(SCHEMA)
        self._depth = 0
        self._migrate()

    def _migrate(self) -> None:
        """Bring a data directory of an older version up to this schema: `CREATE TABLE
        IF NOT EXISTS` leaves an existing table as it was."""
        users = {row["name"] for row in self.all("PRAGMA table_info(users)")}
        with self.tx():
            if "failed_logins_counter" not in users:  # schema 1: no lock-out counting
                self.execute(
                    "ALTER TABLE users ADD COLUMN failed_logins_counter INTEGER NOT NULL DEFAULT 0"
                )
                self.execute("ALTER TABLE users ADD COLUMN last_failed_login_at TEXT")
            if self.get_meta("schema_version") != SCHEMA_VERSION:
                self.set_meta("schema_version", SCHEMA_VERSION)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction; nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def get_meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)
