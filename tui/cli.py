"""The `cfy-tui` command.

`cfy-tui --demo` runs the TUI on the embedded manager; `cfy-tui --manager URL ...`
on a real one; `cfy-tui manager ...` runs the embedded manager alone. The manager's
code is imported only on that last path. Settings also come from the environment,
our config file and the cfy CLI's profiles (tui/config); a bad setting exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui import __version__
from tui.config import (
    CONFIG,
    DECLARED,
    DEMO_SOURCE,
    PROFILE,
    SETTINGS,
    ConfigError,
    Resolved,
    Setting,
    default_config_path,
    resolve,
)

if TYPE_CHECKING:  # imported when --demo is given
    from tui.demo import PendingDemo

# The environment variables are prose here, in the order a `cfy` user reads them;
# tests/test_cli.py checks that they name every variable a setting is read from.
EPILOG = (
    "Commands:\n  manager    run the embedded Cloudify manager alone "
    "(see: cfy-tui manager --help)\n\n"
    "Each setting comes from the first of: flags; the environment ($CLOUDIFY_USERNAME,\n"
    "$CLOUDIFY_PASSWORD, $CLOUDIFY_TENANT, $CLOUDIFY_TOKEN, $CFY_TUI_MANAGER,\n"
    "$CFY_TUI_PROFILE, $CFY_TUI_CONFIG, $CFY_TUI_READ_ONLY); a profile of the config\n"
    "file ({config}); the cfy CLI's active profile\n"
    "($CFY_WORKDIR/.cloudify or ~/.cloudify, only read); defaults.\n"
    "The password comes from $CLOUDIFY_PASSWORD, the config file or a prompt, never\n"
    "the command line; a token from $CLOUDIFY_TOKEN or the config file (or --token)."
)


def build_parser() -> argparse.ArgumentParser:
    """Our own options, and a flag for each setting declared with one
    (tui/config/settings.py), in the order they are declared."""
    parser = argparse.ArgumentParser(
        prog="cfy-tui",
        description="Operate Cloudify deployment workflows from the terminal.",
        epilog=EPILOG.format(config=default_config_path()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cfy-tui {__version__}")
    for selector in (CONFIG, PROFILE):
        parser.add_argument(
            selector.flag, metavar=selector.metavar, default=None, help=selector.flag_help
        )
    target = parser.add_mutually_exclusive_group()  # the embedded manager, or another
    target.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded manager with demo data and connect to it",
    )
    add_flag(target, DECLARED["manager"])
    parser.add_argument(
        "--demo-speed",
        type=float,
        default=2.0,
        metavar="N",
        help="with --demo: how much faster than real life workflows run (default 2)",
    )
    for setting in SETTINGS:
        if setting.flag is not None and setting.name != "manager":
            add_flag(parser, setting)
    parser.add_argument(
        "--log",
        metavar="FILE",
        default=None,
        help="append a debug log to FILE for support: each request's method, path, status "
        "and time (never a password, a token, a header or a body)",
    )
    return parser


def add_flag(container: argparse._ActionsContainer, setting: Setting) -> None:
    """The flag of `setting`; its dest is the setting's name, which `resolve` reads."""
    options: dict[str, Any] = {"dest": setting.name, "help": setting.flag_help}
    if setting.metavar is not None:
        options["metavar"] = setting.metavar
    action = setting.kind.flag_action
    if action == "switch":  # --x / --no-x; None: not given
        options.update(action=argparse.BooleanOptionalAction, default=None)
    elif action == "append":  # repeated: a list
        options["action"] = "append"
    else:
        options["default"] = None
    container.add_argument(setting.flag, **options)


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
        if not resolved.settings.manager:
            parser.print_usage(sys.stderr)
            print(
                "cfy-tui: error: give --demo, or --manager URL, or a profile (--profile NAME, "
                "a config file or a cfy CLI profile; see cfy-tui --help)",
                file=sys.stderr,
            )
            return 2
        problem = missing_credentials(resolved)
        if problem is not None:
            print(f"cfy-tui: error: {problem}", file=sys.stderr)
            return 2
        if resolved.settings.auth != "token" and resolved.settings.password is None:
            from tui.api.urls import redact_url

            settings = resolved.settings
            url = redact_url(settings.manager or "")  # a user:password@ in it stays hidden
            password = getpass.getpass(f"Password for {settings.username} at {url}: ")
            resolved = resolved.with_value("password", password, "prompt")
    return run(args, resolved)


def missing_credentials(resolved: Resolved) -> str | None:
    """What is missing to log in to the manager, or None. A missing password is
    asked for, but only on a terminal."""
    settings = resolved.settings
    token, username, password = (DECLARED[name] for name in ("token", "username", "password"))
    if settings.auth == "token":
        if not settings.token:
            return (
                f"auth is token ({resolved.source('auth')}) but no token: "
                f"set ${token.env} or {token.name}: in the profile"
            )
    elif not settings.username:
        return (
            f"give {username.flag} (or ${username.env}, or {username.name}: in the "
            "profile), or a token"
        )
    elif settings.password is None and not sys.stdin.isatty():
        return f"no password: set ${password.env} (or {password.name}: in the profile)"
    return None


def request_logger(path: str | None) -> Callable[..., None] | None:
    """`--log FILE`: what writes each request to it (OSError when it cannot be opened)."""
    if not path:
        return None
    from tui.api.debuglog import log_request, open_log

    open_log(path)
    return log_request


def launch_demo(args: argparse.Namespace) -> PendingDemo | None:
    """`--demo`: the embedded manager, started and not waited for."""
    if not args.demo:
        return None
    from tui.demo import launch_demo_manager

    return launch_demo_manager(speed=args.demo_speed)


def run(args: argparse.Namespace, resolved: Resolved) -> int:
    try:
        on_request = request_logger(getattr(args, "log", None))
    except OSError as exc:
        print(f"cfy-tui: error: --log {args.log}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:  # with --demo, the manager starts while the app's modules are imported
        pending = launch_demo(args)
    except OSError as exc:
        print(f"cfy-tui: error: {exc}", file=sys.stderr)
        return 1
    from tui.api.urls import redact_url
    from tui.app import CfyTuiApp
    from tui.connections import Connections

    demo = None
    if pending is not None:
        try:
            demo = pending.ready()
        except (OSError, RuntimeError) as exc:
            print(f"cfy-tui: error: {exc}", file=sys.stderr)
            return 1
        for name, value in (
            ("manager", demo.url),
            ("username", "admin"),
            ("password", demo.password),
        ):
            resolved = resolved.with_value(name, value, DEMO_SOURCE)
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
