"""The embedded manager's shape: its modules import each other without a cycle (not
even under `TYPE_CHECKING`), no function outside the seeds is longer than 60 lines, and
`app.py` stays the assembly of the domains' routes."""

from __future__ import annotations

import ast
from pathlib import Path

MANAGER = Path(__file__).resolve().parents[2] / "tui" / "manager"
PACKAGE = "tui.manager"
LONGEST = 60
LONG_ALLOWED = {"seed.py"}  # the seeds read as one story each


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


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imported(path, set(known)) for name, path in known.items()}
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_long_functions() -> None:
    long = [
        f"{path.relative_to(MANAGER)}:{node.lineno} {node.name} ({length} lines)"
        for path in MANAGER.rglob("*.py")
        if path.name not in LONG_ALLOWED
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > LONGEST
    ]
    assert not long, long


def test_the_app_is_an_assembly() -> None:
    assert len((MANAGER / "app.py").read_text(encoding="utf-8").splitlines()) < 300
