"""The `cfy-tui` command.

`cfy-tui --demo` runs the TUI on the embedded manager; `cfy-tui --manager URL ...`
on a real one; `cfy-tui manager ...` runs the embedded manager alone. The manager's
code is imported only on that last path. Settings also come from the environment,
our config file and the cfy CLI's profiles (tui/config.py); a bad setting exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import Any

from tui import __version__
from tui.config import ConfigError, Resolved, default_config_path, resolve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cfy-tui",
        description="Operate Cloudify deployment workflows from the terminal.",
        epilog="Commands:\n  manager    run the embedded Cloudify manager alone "
        "(see: cfy-tui manager --help)\n\n"
        "Each setting comes from the first of: flags; the environment ($CLOUDIFY_USERNAME,\n"
        "$CLOUDIFY_PASSWORD, $CLOUDIFY_TENANT, $CLOUDIFY_TOKEN, $CFY_TUI_MANAGER,\n"
        "$CFY_TUI_PROFILE, $CFY_TUI_CONFIG, $CFY_TUI_READ_ONLY); a profile of the config\n"
        f"file ({default_config_path()}); the cfy CLI's active profile\n"
        "($CFY_WORKDIR/.cloudify or ~/.cloudify, only read); defaults.\n"
        "The password comes from $CLOUDIFY_PASSWORD, the config file or a prompt, never\n"
        "the command line; a token from $CLOUDIFY_TOKEN or the config file (or --token).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cfy-tui {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="the config file (default: $CFY_TUI_CONFIG or the file named below)",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        default=None,
        help="a profile of the config file, or else of the cfy CLI "
        "(default: $CFY_TUI_PROFILE, the config's default_profile, the cfy CLI's active one)",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded manager with demo data and connect to it",
    )
    target.add_argument(
        "--manager",
        metavar="URL",
        action="append",
        help="the manager to connect to, e.g. https://cfy.example.com; repeat it for the "
        "managers of a cluster, tried in order when one cannot be reached "
        "(default: $CFY_TUI_MANAGER or the profile's)",
    )
    parser.add_argument(
        "--demo-speed",
        type=float,
        default=2.0,
        metavar="N",
        help="with --demo: how much faster than real life workflows run (default 2)",
    )
    parser.add_argument(
        "--tenant",
        default=None,
        help="tenant (default: $CLOUDIFY_TENANT, the profile's, or default_tenant)",
    )
    parser.add_argument(
        "--username", default=None, help="user for Basic auth (default: $CLOUDIFY_USERNAME)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help="API token instead of a password (prefer $CLOUDIFY_TOKEN: "
        "command lines are visible to other users)",
    )
    parser.add_argument(
        "--ca-cert",
        default=None,
        metavar="PATH",
        help="CA bundle to verify the manager's TLS certificate",
    )
    parser.add_argument(
        "--insecure",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="do not verify TLS certificates (a warning stays on screen)",
    )
    parser.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="no starting or cancelling: every mutating action is removed "
        "(default: $CFY_TUI_READ_ONLY or the profile's read_only)",
    )
    parser.add_argument(
        "--ascii",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ASCII status glyphs for terminals without Unicode",
    )
    parser.add_argument(
        "--log",
        metavar="FILE",
        default=None,
        help="append a debug log to FILE for support: each request's method, path, status "
        "and time (never a password, a token, a header or a body)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manager":
        from tui.manager.cli import main as manager_main

        return manager_main(argv[1:], prog="cfy-tui manager")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        resolved = resolve(args, os.environ)
    except ConfigError as exc:
        print(f"cfy-tui: error: {exc}", file=sys.stderr)
        return 2
    for warning in resolved.warnings:
        print(f"cfy-tui: warning: {warning}", file=sys.stderr)
    if not args.demo:
        settings = resolved.settings
        url = settings.manager
        if not url:
            parser.print_usage(sys.stderr)
            print(
                "cfy-tui: error: give --demo, or --manager URL, or a profile (--profile NAME, "
                "a config file or a cfy CLI profile; see cfy-tui --help)",
                file=sys.stderr,
            )
            return 2
        if settings.auth == "token":
            if not settings.token:
                print(
                    f"cfy-tui: error: auth is token ({resolved.source('auth')}) but no token: "
                    "set $CLOUDIFY_TOKEN or token: in the profile",
                    file=sys.stderr,
                )
                return 2
        elif not settings.username:
            print(
                "cfy-tui: error: give --username (or $CLOUDIFY_USERNAME, or username: in the "
                "profile), or a token",
                file=sys.stderr,
            )
            return 2
        elif settings.password is None:
            if not sys.stdin.isatty():
                print(
                    "cfy-tui: error: no password: set $CLOUDIFY_PASSWORD (or password: in the "
                    "profile)",
                    file=sys.stderr,
                )
                return 2
            password = getpass.getpass(f"Password for {settings.username} at {url}: ")
            resolved = resolved.with_value("password", password, "prompt")
    return run(args, resolved)


def run(args: argparse.Namespace, resolved: Resolved) -> int:
    from tui.api.urls import redact_url
    from tui.app import CfyTuiApp
    from tui.connections import Connections

    on_request = None
    if getattr(args, "log", None):
        from tui.api.debuglog import log_request, open_log

        try:
            open_log(args.log)
        except OSError as exc:
            print(f"cfy-tui: error: --log {args.log}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        on_request = log_request
    demo = None
    if args.demo:
        from tui.demo import start_demo_manager

        try:
            demo = start_demo_manager(speed=args.demo_speed)
        except (OSError, RuntimeError) as exc:
            print(f"cfy-tui: error: {exc}", file=sys.stderr)
            return 1
        source = "--demo (the embedded manager)"
        resolved = resolved.with_value("manager", demo.url, source)
        resolved = resolved.with_value("username", "admin", source)
        resolved = resolved.with_value("password", demo.password, source)
    settings = resolved.settings
    url = settings.manager or ""
    if on_request is not None:
        logging.getLogger("tui").info(
            "cfy-tui %s: manager %s, tenant %s", __version__, redact_url(url), settings.tenant
        )
    try:
        connections = Connections(
            resolved, on_request=on_request, switchable_profiles=not args.demo
        )
        connection = connections.connect(resolved)
        app = CfyTuiApp(
            connection.client,
            connection.identity,
            read_only=settings.read_only,
            ascii_only=settings.ascii or not unicode_terminal(),
            fast_interval=settings.fast_interval,
            slow_interval=settings.slow_interval,
            settings_rows=resolved.rows(),
            warnings=list(resolved.warnings),
            connections=connections,
            bell=settings.bell,
            open_after_start=settings.open_execution,
        )
        for warning in apply_appearance(app, resolved):
            print(f"cfy-tui: warning: {warning}", file=sys.stderr)
            app.warnings.append(warning)
        app.run()
        return app.return_code or 0
    finally:
        if demo is not None:
            demo.stop()


def unicode_terminal() -> bool:
    """Whether the terminal's encoding can show the status glyphs (else ASCII ones)."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32", "utf8sig")


def apply_appearance(app: Any, resolved: Resolved) -> list[str]:
    """The theme and key overrides of the settings, applied to a not yet running app.
    Returns warnings: an unknown theme, binding ids that no binding has."""
    settings = resolved.settings
    warnings: list[str] = []
    if settings.theme:
        if settings.theme in app.available_themes:
            app.theme = settings.theme
        else:
            known = ", ".join(sorted(app.available_themes))
            warnings.append(
                f"theme {settings.theme!r} ({resolved.source('theme')}) is not known; "
                f"themes: {known}"
            )
    if settings.keys:
        app.set_keymap(dict(settings.keys))
        known_ids = binding_ids()
        for binding_id in sorted(set(settings.keys) - known_ids):
            warnings.append(
                f"keys: no binding has the id {binding_id!r} "
                f"({resolved.source('keys.' + binding_id)})"
            )
    return warnings


def binding_ids() -> set[str]:
    """The ids of every binding declared by the app's screens and widgets (those
    imported so far)."""
    from textual.binding import Binding
    from textual.dom import DOMNode

    ids: set[str] = set()
    pending: list[type] = [DOMNode]
    seen: set[type] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


if __name__ == "__main__":
    sys.exit(main())
