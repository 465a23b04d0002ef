"""SQLite state of the embedded manager.

One connection, used from the server's event loop only, in WAL mode: a commit is on
disk before the HTTP answer that acknowledges it is sent, so a kill -9 loses nothing
that was acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui.manager.tables import SCHEMA

SCHEMA_VERSION = "4"
# The columns schema 3 added to node instances (older instances: no host, no
# relationships, no runtime properties, version 1).
NODE_INSTANCE_COLUMNS = (
    ("host_id", "TEXT"),
    ("relationships", "TEXT"),
    ("runtime_properties", "TEXT"),
    ("system_properties", "TEXT"),
    ("version", "INTEGER NOT NULL DEFAULT 1"),
)


def marks(values: Sized) -> str:
    """The `?` placeholders of an `IN (...)` over `values`."""
    return ",".join("?" for _ in range(len(values)))


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
        deployments = {row["name"] for row in self.all("PRAGMA table_info(deployments)")}
        instances = {row["name"] for row in self.all("PRAGMA table_info(node_instances)")}
        events = {row["name"] for row in self.all("PRAGMA table_info(events)")}
        with self.tx():
            if "labels" in deployments:  # schema 2: labels as JSON in the deployment's row
                self._move_labels()
            if "failed_logins_counter" not in users:  # schema 1: no lock-out counting
                self.execute(
                    "ALTER TABLE users ADD COLUMN failed_logins_counter INTEGER NOT NULL DEFAULT 0"
                )
                self.execute("ALTER TABLE users ADD COLUMN last_failed_login_at TEXT")
            for name, type in NODE_INSTANCE_COLUMNS:  # schema 2: states only
                if name not in instances:
                    self.execute(f"ALTER TABLE node_instances ADD COLUMN {name} {type}")
            if "execution_group_id" not in events:  # schema 3: no execution groups
                self.execute("ALTER TABLE events ADD COLUMN execution_group_id TEXT")
            self.execute(
                "CREATE INDEX IF NOT EXISTS events_by_group ON events (execution_group_id) "
                "WHERE execution_group_id IS NOT NULL"
            )
            if self.get_meta("schema_version") != SCHEMA_VERSION:
                self.set_meta("schema_version", SCHEMA_VERSION)

    def _move_labels(self) -> None:
        """Labels kept as JSON in a deployment's row (schema 2) go to their own table,
        once: the column is emptied and no longer written."""
        rows = self.all("SELECT pk, labels FROM deployments WHERE labels IS NOT NULL")
        self.executemany(
            "INSERT OR IGNORE INTO deployments_labels "
            "(deployment_pk, key, value, created_at, created_by) VALUES (?,?,?,?,?)",
            [
                (row["pk"], label["key"], label["value"], label["created_at"], label["created_by"])
                for row in rows
                for label in json.loads(row["labels"])
            ],
        )
        self.execute("UPDATE deployments SET labels = NULL WHERE labels IS NOT NULL")

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

    def insert(
        self, table: str, values: Mapping[str, Any], *, replace: bool = False
    ) -> sqlite3.Cursor:
        """Insert one row given as column -> value (`replace`: over a row with its key)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        return self.conn.execute(
            f"{verb} INTO {table} ({', '.join(values)}) VALUES ({marks(values)})",
            tuple(values.values()),
        )

    def insert_many(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows given as column -> value, every row with the same columns."""
        if not rows:
            return
        columns = list(rows[0])
        self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)})",
            [tuple(row[c] for c in columns) for row in rows],
        )

    def get_meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
