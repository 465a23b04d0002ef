"""The embedded manager's modules import each other without a cycle, not even under
`TYPE_CHECKING` nor inside a function (stricter than tests/test_import_graph.py, which
checks what runs); function lengths and the size of `app.py` are checked with the rest
of `tui` (tests/test_structure.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_import_graph import cycles

MANAGER = Path(__file__).resolve().parents[2] / "tui" / "manager"
PACKAGE = "tui.manager"


def module_name(path: Path) -> str:
    parts = path.relative_to(MANAGER).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(MANAGER.rglob("*.py"))}


def imported(path: Path, known: set[str]) -> set[str]:
    """The manager modules `path` imports, wherever the import stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            if node.level:
                module = f"{base}.{module}" if module else base
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {module for module in found if module in known and module != name}


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imported(path, set(known)) for name, path in known.items()}
    assert cycles(graph) == []
