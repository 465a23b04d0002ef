"""No import cycle among the modules of `tui`: each module's imports (as the layer
test reads them: absolute, relative and dynamic, `TYPE_CHECKING` blocks left out)
form a graph, and the graph has no strongly connected component of more than one
module, nor a module importing itself."""

from __future__ import annotations

from pathlib import Path

from tests.test_layers import TUI, imported, module_name


def _graph(root: Path) -> dict[str, set[str]]:
    """module -> the `tui` modules it imports (a name imported from a package counts
    as the module of that name when there is one, else as the package)."""
    paths = {module_name(p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges = set()
        for target in imported(path):
            if not target.startswith("tui") or target not in paths:
                continue
            edges.add(target)
        # `from tui.api import models` lists `tui.api` and `tui.api.models`: the
        # package stands for its module only when nothing more precise was named.
        graph[name] = {t for t in edges if not any(o.startswith(t + ".") for o in edges if o != t)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with a cycle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_tui() -> None:
    assert cycles(_graph(TUI)) == []


def test_the_checker_finds_a_cycle(tmp_path: Path) -> None:
    graph = {"tui.a": {"tui.b"}, "tui.b": {"tui.c"}, "tui.c": {"tui.a"}, "tui.d": {"tui.a"}}
    assert cycles(graph) == [["tui.a", "tui.b", "tui.c"]]
    assert cycles({"tui.x": {"tui.x"}}) == [["tui.x"]]
    assert cycles({"tui.x": {"tui.y"}, "tui.y": set()}) == []
