"""The import rules of DESIGN.md, checked by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parents[1] / "tui"

# layer -> prefixes it must never import
FORBIDDEN = {
    "tui.api": (
        "textual",
        "tui.live",
        "tui.widgets",
        "tui.screens",
        "tui.app",
        "tui.manager",
        "tui.cli",
        "tui.config",
    ),
    "tui.live": ("textual", "tui.widgets", "tui.screens", "tui.app", "tui.manager"),
    "tui.widgets": ("httpx", "tui.manager"),
    "tui.screens": ("httpx", "tui.manager"),
    "tui.manager": (
        "textual",
        "tui.api",
        "tui.live",
        "tui.widgets",
        "tui.screens",
        "tui.app",
        "tui.cli",
        "tui.config",
    ),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(TUI.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations() -> list[str]:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        name = module_name(path)
        for layer, banned in FORBIDDEN.items():
            if name != layer and not name.startswith(layer + "."):
                continue
            for target in imported(path):
                for prefix in banned:
                    if target == prefix or target.startswith(prefix + "."):
                        found.append(f"{name} imports {target} (forbidden in {layer})")
    return found


def test_layers_follow_the_design() -> None:
    assert violations() == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from tui.api.client import ManagerClient\nimport textual.app\n")
    assert {"tui.api.client", "textual.app"} <= imported(bad)


def test_the_manager_package_is_checked() -> None:
    modules = {module_name(p) for p in TUI.rglob("*.py")}
    assert "tui.manager.app" in modules and "tui.manager.engine" in modules
