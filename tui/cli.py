"""The `cfy-tui` command.

`cfy-tui --demo` runs the TUI on the embedded manager; `cfy-tui --manager URL ...`
on a real one; `cfy-tui manager ...` runs the embedded manager alone. The manager's
code is imported only on that last path.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from urllib.parse import urlparse

from tui import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cfy-tui",
        description="Operate Cloudify deployment workflows from the terminal.",
        epilog="Commands:\n  manager    run the embedded Cloudify manager alone "
        "(see: cfy-tui manager --help)\n\nThe password comes from $CLOUDIFY_PASSWORD or a "
        "prompt; a token from $CLOUDIFY_TOKEN or --token.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cfy-tui {__version__}")
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded manager with demo data and connect to it",
    )
    target.add_argument(
        "--manager", metavar="URL", help="the manager to connect to, e.g. https://cfy.example.com"
    )
    parser.add_argument(
        "--demo-speed",
        type=float,
        default=2.0,
        metavar="N",
        help="with --demo: how much faster than real life workflows run (default 2)",
    )
    parser.add_argument(
        "--tenant", default=None, help="tenant (default: $CLOUDIFY_TENANT or default_tenant)"
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
        action="store_true",
        help="do not verify TLS certificates (a warning stays on screen)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="no starting or cancelling: every mutating action is removed",
    )
    parser.add_argument(
        "--ascii", action="store_true", help="ASCII status glyphs for terminals without Unicode"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manager":
        from tui.manager.cli import main as manager_main

        return manager_main(argv[1:], prog="cfy-tui manager")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.demo and not args.manager:
        parser.print_usage(sys.stderr)
        print("cfy-tui: error: give --demo, or --manager URL (see cfy-tui --help)", file=sys.stderr)
        return 2
    if args.manager:
        parsed = urlparse(args.manager)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            print(
                f"cfy-tui: error: --manager must be an http(s) URL, got {args.manager!r}",
                file=sys.stderr,
            )
            return 2
        if args.ca_cert and not os.path.isfile(args.ca_cert):
            print(f"cfy-tui: error: --ca-cert {args.ca_cert}: no such file", file=sys.stderr)
            return 2
    return run(args)


def run(args: argparse.Namespace) -> int:
    from tui.api.client import ManagerClient
    from tui.app import CfyTuiApp
    from tui.widgets.status_line import Identity

    demo = None
    if args.demo:
        from tui.demo import start_demo_manager

        try:
            demo = start_demo_manager(speed=args.demo_speed)
        except (OSError, RuntimeError) as exc:
            print(f"cfy-tui: error: {exc}", file=sys.stderr)
            return 1
        url, username, password, token = demo.url, "admin", demo.password, None
        tenant = args.tenant or "default_tenant"
    else:
        url = args.manager
        tenant = args.tenant or os.environ.get("CLOUDIFY_TENANT") or "default_tenant"
        token = args.token or os.environ.get("CLOUDIFY_TOKEN")
        username = args.username or os.environ.get("CLOUDIFY_USERNAME")
        password = None
        if not token:
            if not username:
                print(
                    "cfy-tui: error: give --username (or $CLOUDIFY_USERNAME), or a token",
                    file=sys.stderr,
                )
                return 2
            password = os.environ.get("CLOUDIFY_PASSWORD")
            if password is None:
                if not sys.stdin.isatty():
                    print("cfy-tui: error: no password: set $CLOUDIFY_PASSWORD", file=sys.stderr)
                    return 2
                password = getpass.getpass(f"Password for {username} at {url}: ")
    try:
        client = ManagerClient(
            url,
            username=None if token else username,
            password=password,
            token=token,
            tenant=tenant,
            ca_cert=args.ca_cert,
            verify=not args.insecure,
        )
        identity = Identity(
            url=url,
            tenant=tenant,
            user=(username or "") if not token else "",
            read_only=args.read_only,
            insecure=args.insecure,
        )
        app = CfyTuiApp(client, identity, read_only=args.read_only, ascii_only=args.ascii)
        app.run()
        return app.return_code or 0
    finally:
        if demo is not None:
            demo.stop()


if __name__ == "__main__":
    sys.exit(main())
