"""The import rules of DESIGN.md, checked by reading every module's imports.

An allow-list per layer: what a layer's modules may import from `tui` and from
third-party packages. Absolute, relative (`from ..api import x`) and dynamic imports
(`importlib.import_module("textual")`, `__import__("httpx")` with a literal name)
all count. The UI layers may not reach the network through the standard library
either. Imports under `if TYPE_CHECKING:` are left out: they never run, so they
neither couple the layers at run time nor make cycles (the screens' host protocol
names the client's class, `tui/switching.py` the app's, in annotations only).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TUI = Path(__file__).resolve().parents[1] / "tui"
NETWORK = frozenset({"urllib", "http", "socket", "ssl", "ftplib", "smtplib", "xmlrpc"})


@dataclass(frozen=True)
class Rule:
    tui: frozenset[str]  # `tui` modules (or packages) it may import
    third_party: frozenset[str]
    network: bool = True  # may it import the standard library's network modules


UI_API = frozenset({"tui.api.models", "tui.api.errors", "tui.api.params", "tui.api.urls"})
RULES = {
    # imports neither Textual nor anything else from `tui` but itself
    "tui.api": Rule(frozenset({"tui.api"}), frozenset({"httpx", "yaml"})),
    # imports tui/api, never widgets or screens
    "tui.live": Rule(frozenset({"tui.api", "tui.live"}), frozenset()),
    # never call HTTP: the client module is not theirs to import
    "tui.widgets": Rule(
        UI_API | {"tui.identity", "tui.live", "tui.widgets"},
        frozenset({"rich", "textual"}),
        network=False,
    ),
    # Textual-free flows: the client and its models, nothing of the UI
    "tui.actions": Rule(frozenset({"tui.api", "tui.actions"}), frozenset()),
    # screens run the flows of tui/actions; they never import the client themselves
    "tui.screens": Rule(
        UI_API
        | {"tui.actions", "tui.identity", "tui.live", "tui.messages", "tui.screens", "tui.widgets"},
        frozenset({"rich", "textual"}),
        network=False,
    ),
    "tui.messages": Rule(frozenset({"tui.api", "tui.live"}), frozenset({"textual"})),
    # read by the command line before any UI exists: no Textual, no client; of tui/api
    # only the URL helpers (its one redact_url)
    "tui.config": Rule(
        frozenset({"tui.config", "tui.api.urls"}), frozenset({"platformdirs", "yaml"})
    ),
    # who and where the app is connected as: plain data, shown by widgets and screens
    "tui.identity": Rule(frozenset(), frozenset(), network=False),
    # the server side of the contract: nothing of the client or the UI
    "tui.manager": Rule(frozenset({"tui.manager"}), frozenset({"starlette", "uvicorn", "yaml"})),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(TUI.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skipped.update(id(n) for n in ast.walk(child))
    return skipped


def imported(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, dynamic ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = _package(path).split(".")
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            literal = first.value if isinstance(first, ast.Constant) else None
            if called in ("import_module", "__import__") and isinstance(literal, str):
                names.add(literal)
    return names


def _allowed(target: str, rule: Rule) -> bool:
    top = target.split(".")[0]
    if top == "tui":
        # importing a module's name from a package (`from tui.api import models`)
        # lists both `tui.api` and `tui.api.models`: the package itself is fine when
        # something inside it is.
        return any(
            target == allowed
            or target.startswith(allowed + ".")
            or allowed.startswith(target + ".")
            for allowed in rule.tui
        )
    if top in sys.stdlib_module_names or top == "__future__":
        return rule.network or top not in NETWORK
    return top in rule.third_party


def violations(files: list[Path] | None = None) -> list[str]:
    found = []
    for path in sorted(files if files is not None else TUI.rglob("*.py")):
        name = module_name(path)
        layer = next((key for key in RULES if name == key or name.startswith(key + ".")), None)
        if layer is None:
            continue
        for target in sorted(imported(path)):
            if target and not _allowed(target, RULES[layer]):
                found.append(f"{name} imports {target} (not allowed in {layer})")
    return found


def test_layers_follow_the_design() -> None:
    assert violations() == []


def _fake(tmp_path: Path, module: str, source: str) -> Path:
    """A module file under a fake `tui` tree, named as `module` would be."""
    path = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def test_the_checker_catches_each_kind_of_forbidden_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "TUI", tmp_path / "tui")
    cases = {
        "tui.api.a": "import tui.connections\n",
        "tui.api.b": "from ..demo import x\n",
        "tui.api.c": "import importlib\nimportlib.import_module('textual')\n",
        "tui.api.d": "from tui.live import poller\n",
        "tui.live.e": "from textual.app import App\n",
        "tui.live.f": "from ..widgets import panes\n",
        "tui.actions.n": "from textual.app import App\n",
        "tui.actions.o": "from ..screens import flows\n",
        "tui.widgets.g": "import urllib.request\n",
        "tui.widgets.h": "from tui.api.client import ManagerClient\n",
        "tui.widgets.i": "__import__('httpx')\n",
        "tui.screens.j": "from tui.app import CfyTuiApp\n",
        "tui.screens.k": "from . import main\nfrom ..manager import app\n",
        "tui.manager.l": "from tui.api import models\n",
        "tui.manager.m": "from ..live.poller import Poller\n",
    }
    allowed = {
        "tui.api.ok": "from . import models\nimport httpx\nimport json\n",
        "tui.widgets.ok": "from ..api.models import Execution\nfrom textual.widget import Widget\n",
        "tui.screens.ok": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from tui.app import CfyTuiApp\n"
        ),
        "tui.manager.ok": "from .store import Store\nimport sqlite3\nimport starlette\n",
    }
    files = [_fake(tmp_path, m, src) for m, src in {**cases, **allowed}.items()]
    found = violations(files)
    flagged = {line.split(" imports ")[0] for line in found}
    assert flagged == set(cases), found
    assert any("tui.screens.k imports tui.manager" in line for line in found), found
    assert not any("tui.screens.k imports tui.screens" in line for line in found), found


def test_the_manager_package_is_checked() -> None:
    modules = {module_name(p) for p in TUI.rglob("*.py")}
    assert "tui.manager.app" in modules and "tui.manager.engine" in modules
