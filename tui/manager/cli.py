"""Command line of the embedded manager (`cfy-tui manager`, `python -m tui.manager`)."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.manager.clock import parse_timestamp
from tui.manager.lockout import DEFAULT_LOCK_PERIOD_MINUTES, LockPolicy
from tui.manager.server import ServerOptions, is_loopback, serve
from tui.manager.versions import DEFAULT, VERSIONS


def _speed(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("speed must be greater than 0")
    return value


def _at_least_one(name: str) -> Callable[[str], int]:
    """A flag's whole number of 1 or more, refused in words that name the flag."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be 1 or more")
        return value

    return parse


def _timestamp(text: str) -> float:
    try:
        return parse_timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO timestamp: {text}") from None


def _lock_period(text: str) -> float:
    """Minutes, at least -1, as the real `account_lock_period` (-1 or 0: never lock)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text}") from None
    if not math.isfinite(value) or value < -1:
        raise argparse.ArgumentTypeError("lock-period must be a number of minutes, -1 or more")
    return value


def _seed(text: str) -> str:
    if text in ("demo", "none"):
        return text
    if text.startswith("scale:") and text[6:].isdigit() and int(text[6:]) > 0:
        return text
    raise argparse.ArgumentTypeError("seed must be demo, none or scale:N (N > 0)")


# Every option of `cfy-tui manager`: its flags and `add_argument`'s keywords.
OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--host",),
        dict(
            default="127.0.0.1",
            help="address to bind (default 127.0.0.1; anything else is exposed)",
        ),
    ),
    (
        ("--port",),
        dict(type=int, default=0, help="port to bind; 0 picks a free one (default 0)"),
    ),
    (
        ("--data",),
        dict(
            type=Path,
            default=None,
            help="directory for the SQLite state (default: a temporary one, removed on exit)",
        ),
    ),
    (
        ("--speed",),
        dict(
            type=_speed,
            default=1.0,
            help="how much faster than real life workflows run (default 1)",
        ),
    ),
    (
        ("--seed",),
        dict(
            type=_seed,
            default="demo",
            help="data for an empty store: demo, scale:N or none (default demo)",
        ),
    ),
    (
        ("--admin-password",),
        dict(
            default=None,
            help="password of the admin user (default: "
            "$CFY_TUI_MANAGER_ADMIN_PASSWORD, or a generated one)",
        ),
    ),
    (
        ("--viewer-password",),
        dict(default=None, help="password of the read-only viewer user (default: generated)"),
    ),
    (
        ("--operator-password",),
        dict(
            default=None,
            help="password of the operator user of default_tenant (default: generated)",
        ),
    ),
    (
        ("--lock-after",),
        dict(
            type=_at_least_one("lock-after"),  # as the real failed_logins_before_account_lock
            default=None,
            metavar="N",
            help="lock an account once it has more than N failed logins in a row, as a real "
            "manager with failed_logins_before_account_lock: N (its default 4: the fifth "
            "locks). A locked account's tokens are refused; a right password is accepted "
            "and unlocks it, as on a real 7.0.4. Default: no lock-out",
        ),
    ),
    (
        ("--lock-period",),
        dict(
            type=_lock_period,
            default=None,
            metavar="MINUTES",
            help="with --lock-after: how long a lock lasts after the last failed login, as "
            f"the real account_lock_period (fractions allowed; -1 never locks; default "
            f"{DEFAULT_LOCK_PERIOD_MINUTES:g})",
        ),
    ),
    (
        ("--blueprints",),
        dict(
            type=Path,
            default=None,
            help="directory of blueprint YAML files to load into every tenant",
        ),
    ),
    (
        ("--frozen-time",),
        dict(
            type=_timestamp,
            default=None,
            metavar="ISO",
            help="for reproducible tests and screenshots: the clock stays at this time",
        ),
    ),
    (
        ("--sequential-ids",),
        dict(
            action="store_true",
            help="for reproducible tests and screenshots: ids count up instead of being random",
        ),
    ),
    (
        ("--watch-stdin",),
        dict(
            action="store_true",
            help="shut down when standard input closes (used by cfy-tui --demo, so the "
            "manager never outlives the app)",
        ),
    ),
    (
        ("--request-log",),
        dict(
            type=Path,
            default=None,
            metavar="FILE",
            help="append one JSON line per request to FILE: method, path, status, ms (never "
            "headers, bodies or query strings)",
        ),
    ),
    (
        ("--request-log-bodies",),
        dict(
            action="store_true",
            help="for tests: the request log also keeps the query string and the JSON body "
            "of every POST, PUT, PATCH and DELETE (they may hold parameters: never in "
            "production)",
        ),
    ),
    (
        ("--max-concurrent-workflows",),
        dict(
            type=_at_least_one("max-concurrent-workflows"),
            default=20,
            metavar="N",
            help="queued executions start while fewer than N run in all (default 20, the "
            "real manager's max_concurrent_workflows)",
        ),
    ),
    (
        ("--emulate",),
        dict(
            choices=sorted(VERSIONS),
            default=DEFAULT,
            help="answer as this Cloudify manager version does: its version string, the "
            "fields of deployments and executions, workflows and event times (default "
            f"{DEFAULT}, i.e. {VERSIONS[DEFAULT].version})",
        ),
    ),
    (
        ("--log-level",),
        dict(default="warning", choices=["critical", "error", "warning", "info", "debug"]),
    ),
)


def build_parser(prog: str = "cfy-tui manager") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the embedded Cloudify manager: the REST API v3.1 on a local "
        "socket, with SQLite state and a simulated workflow engine.",
    )
    for flags, keywords in OPTIONS:
        parser.add_argument(*flags, **keywords)
    return parser


def watch_stdin() -> None:
    """Stop the server (as SIGTERM would) once standard input reaches end of file."""

    def wait_for_eof() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait_for_eof, name="watch-stdin", daemon=True).start()


def main(argv: list[str] | None = None, prog: str = "python -m tui.manager") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.lock_period is not None and args.lock_after is None:
        print("error: --lock-period needs --lock-after N", file=sys.stderr)
        return 2
    if args.blueprints is not None and not args.blueprints.is_dir():
        print(f"error: --blueprints {args.blueprints} is not a directory", file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(
            f"warning: binding to {args.host}, which is not a loopback address: anyone who "
            "can reach it can try these credentials",
            file=sys.stderr,
        )
    options = ServerOptions(
        host=args.host,
        port=args.port,
        data=args.data,
        speed=args.speed,
        seed=args.seed,
        passwords={
            "admin": args.admin_password or os.environ.get("CFY_TUI_MANAGER_ADMIN_PASSWORD"),
            "viewer": args.viewer_password,
            "operator": args.operator_password,
        },
        blueprints=args.blueprints,
        log_level=args.log_level,
        frozen_time=args.frozen_time,
        sequential_ids=args.sequential_ids,
        request_log=args.request_log,
        request_log_bodies=args.request_log_bodies,
        max_concurrent_workflows=args.max_concurrent_workflows,
        lock=LockPolicy(
            after=args.lock_after,
            period_minutes=DEFAULT_LOCK_PERIOD_MINUTES
            if args.lock_period is None
            else args.lock_period,
        ),
        emulate=args.emulate,
    )
    if args.watch_stdin:
        watch_stdin()
    try:
        return serve(options, announce=lambda line: print(line, flush=True))
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
