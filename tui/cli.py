"""The `cfy-tui` command.

`cfy-tui manager ...` runs the embedded manager. The manager's code is imported only
on that path, so the manager never depends on the UI and the UI never pays for the
manager's imports.
"""

from __future__ import annotations

import argparse
import sys

from tui import __version__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manager":
        from tui.manager.cli import main as manager_main

        return manager_main(argv[1:], prog="cfy-tui manager")
    parser = argparse.ArgumentParser(
        prog="cfy-tui",
        description="Operate Cloudify deployment workflows from the terminal.",
        epilog="Commands:\n  manager    run the embedded Cloudify manager "
        "(see: cfy-tui manager --help)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cfy-tui {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
