"""The code's shape, as issue 11 set it: no function in `tui` longer than 60 lines
outside the seeds (which read as one story each), and both apps' modules stay the
wiring they are meant to be."""

from __future__ import annotations

import ast

from tests.test_layers import TUI

LONGEST = 60
LONG_ALLOWED = {"tui/manager/seed.py"}


def long_functions() -> list[str]:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        where = path.relative_to(TUI.parent).as_posix()
        if where in LONG_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONGEST:
                    found.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_long_functions() -> None:
    assert long_functions() == []


def test_the_apps_are_wiring() -> None:
    """The UI app wires the connection, poller and watch list (flows live in the
    screens, actions in tui/actions); the manager's app assembles the domains' routes."""
    for module, most in (("app.py", 310), ("manager/app.py", 300)):
        lines = len((TUI / module).read_text(encoding="utf-8").splitlines())
        assert lines <= most, (module, lines)
