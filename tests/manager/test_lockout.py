"""Failed-login lock-out (`--lock-after N`, `--lock-period MINUTES`) with the official
client, against the rules a real 7.0.4 manager was seen to follow:

- every wrong Basic password is 401 `unauthorized_error` "Authentication failed for
  <User username=`u`>. Wrong credentials or locked account", locked or not;
- more than N failures in a row lock the account: its tokens get that same 401;
- a right password is accepted even while locked, and starts the count again;
- the lock ends `account_lock_period` minutes after the last failure, and one more
  failure after that locks again; the count survives a restart;
- without `--lock-after` nothing locks.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import UserUnauthorizedError

from tests.manager.test_client_conformance import DEFAULT_DEPLOYMENTS, client, raises
from tests.manager_process import ManagerProcess
from tests.polling import wait_for
from tui.cli import main

FAILED = (
    "User unauthorized: Authentication failed for <User username=`operator`>. "
    "Wrong credentials or locked account"
)


@contextlib.contextmanager
def running(data: Path, *flags: str) -> Iterator[ManagerProcess]:
    proc = ManagerProcess(data=data, extra_args=list(flags)).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def locking(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A real manager's default count (4 failures allowed, the fifth locks), locked for
    ten minutes: longer than any test here."""
    with running(tmp_path / "locking", "--lock-after", "4", "--lock-period", "10") as proc:
        yield proc


@pytest.fixture
def brief_lock(tmp_path: Path) -> Iterator[ManagerProcess]:
    """The second failure locks, for 3 seconds (0.05 minutes)."""
    with running(tmp_path / "brief", "--lock-after", "1", "--lock-period", "0.05") as proc:
        yield proc


def fail_logins(manager: ManagerProcess, times: int, user: str = "operator") -> None:
    """`times` requests with a wrong password, each refused with the real 401."""
    wrong = client(manager, user, password="not-the-password")
    for _ in range(times):
        raises(wrong.deployments.list, UserUnauthorizedError, 401, "unauthorized_error", FAILED)


def token_of(manager: ManagerProcess, user: str = "operator") -> CloudifyClient:
    """A client that authenticates with a fresh token of `user` only."""
    return client(manager, token=client(manager, user).tokens.create().value)


def works(c: CloudifyClient) -> bool:
    return sorted(d.id for d in c.deployments.list()) == sorted(DEFAULT_DEPLOYMENTS)


def assert_locked(c: CloudifyClient) -> None:
    for call in (c.deployments.list, c.manager.get_version):
        raises(call, UserUnauthorizedError, 401, "unauthorized_error", FAILED)


def test_the_failure_past_the_limit_locks_the_account_for_its_tokens(
    locking: ManagerProcess,
) -> None:
    token = token_of(locking)
    viewer_token = token_of(locking, "viewer")
    fail_logins(locking, 4)
    assert works(token), "four failures must not lock with --lock-after 4"
    fail_logins(locking, 1)
    assert_locked(token)
    # A lock is one user's: the others carry on.
    assert works(viewer_token)
    assert works(client(locking))


def test_a_right_password_while_locked_is_accepted_and_starts_the_count_again(
    locking: ManagerProcess,
) -> None:
    token = token_of(locking)
    fail_logins(locking, 6)
    assert_locked(token)
    # Real 7.0.4: the lock refuses tokens, never the right password, which unlocks.
    assert works(client(locking, "operator"))
    assert works(token)
    fail_logins(locking, 4)
    assert works(token), "the right password did not reset the count"
    fail_logins(locking, 1)
    assert_locked(token)


def test_the_lock_ends_after_the_period_and_one_more_failure_locks_again(
    brief_lock: ManagerProcess,
) -> None:
    token = token_of(brief_lock)
    fail_logins(brief_lock, 1)
    assert works(token)
    fail_logins(brief_lock, 1)
    locked_at = time.monotonic()
    assert_locked(token)

    def unlocked() -> bool:
        try:
            return works(token)
        except UserUnauthorizedError:
            return False

    wait_for(unlocked, timeout=30, interval=0.2, what="the 3 s lock to end")
    assert time.monotonic() - locked_at > 2.5, "the lock ended before its period"
    # The count was not reset by the lock's end: the next failure locks at once.
    fail_logins(brief_lock, 1)
    assert_locked(token)


def test_the_count_survives_a_restart(locking: ManagerProcess) -> None:
    token = token_of(locking)
    fail_logins(locking, 3)
    locking.restart()
    assert works(token)
    fail_logins(locking, 2)
    assert_locked(token)


def test_without_lock_after_nothing_locks(manager: ManagerProcess) -> None:
    token = token_of(manager)
    fail_logins(manager, 12)
    assert works(token)
    assert works(client(manager, "operator"))


def test_an_old_data_directory_gains_the_count(tmp_path: Path) -> None:
    """A data directory written before lock-out existed (schema 1: no count columns)."""
    data = tmp_path / "old"
    data.mkdir()
    with sqlite3.connect(data / "manager.sqlite3") as db:
        db.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
            "INSERT INTO meta VALUES ('schema_version', '1');"
            "CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
            "salt TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT);"
        )
    db.close()
    with running(data, "--lock-after", "1") as proc:
        token = token_of(proc)
        fail_logins(proc, 2)
        assert_locked(token)
    with sqlite3.connect(data / "manager.sqlite3") as db:
        row = db.execute(
            "SELECT failed_logins_counter FROM users WHERE username = 'operator'"
        ).fetchone()
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    db.close()
    assert row == (2,)
    assert version == ("3",)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--lock-period", "5"], "--lock-period needs --lock-after N"),
        (["--lock-after", "0"], "lock-after must be 1 or more"),
        (["--lock-after", "2", "--lock-period", "-2"], "lock-period must be a number"),
    ],
)
def test_lock_flags_are_checked(flags: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui.manager", "--seed", "none", *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr


def test_cfy_tui_manager_takes_the_lock_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["manager", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: cfy-tui manager" in out
    assert "--lock-after N" in out and "--lock-period MINUTES" in out
    assert main(["manager", "--lock-period", "1"]) == 2
    assert "--lock-period needs --lock-after N" in capsys.readouterr().err
