"""Our config file's YAML, read as a node tree so that every value keeps its line for
the errors and the provenance. Imported only when a config file exists: yaml costs
about 12 ms of a start-up that has none (tests/benchmarks/bench_tui_startup.py)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from tui.config.errors import ConfigError
from tui.config.file_types import PROFILE_KEYS, TOP_KEYS, ConfigFile, ConfigProfile
from tui.config.kinds import Kind, Problem
from tui.config.layers import Layer, Value
from tui.config.settings import DECLARED


def read_config(path: Path) -> ConfigFile:
    """`load_config` (tui/config/file.py), which imports this module when it is called."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc.reason}", path=path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror or exc}", path=path) from exc
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise ConfigError(
                f"YAML syntax error: {problem}",
                path=path,
                line=None if mark is None else mark.line + 1,
            ) from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"YAML syntax error: {exc}", path=path) from exc
        return _Reader(path, loader).read(root)
    finally:
        loader.dispose()


class _Reader:
    """Reads the YAML node tree (not the loaded data) so that every value keeps its
    line for the errors and the provenance."""

    def __init__(self, path: Path, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.holds_secret = False

    def error(self, node: yaml.Node | None, key: str, problem: str) -> ConfigError:
        line = None if node is None else node.start_mark.line + 1
        return ConfigError(f"{key}: {problem}", path=self.path, line=line, key=key)

    def read(self, root: yaml.Node | None) -> ConfigFile:
        default_profile: Value | None = None
        profiles: dict[str, ConfigProfile] = {}
        profiles_line: int | None = None
        for key, key_node, value_node in [] if root is None else self.mapping(root, "(top level)"):
            if key == "default_profile":
                default_profile = self.default_profile(key_node, value_node)
            elif key == "profiles":
                profiles_line = _line(key_node)
                if _is_null(value_node):
                    continue
                for name, name_node, body in self.mapping(value_node, key):
                    profiles[name] = self.profile(name, name_node, body)
            elif not key.startswith("x-"):  # x-...: free, e.g. for YAML anchors
                raise self.error(key_node, key, _unknown(key, TOP_KEYS))
        return ConfigFile(self.path, default_profile, profiles, self.holds_secret, profiles_line)

    def default_profile(self, key_node: yaml.Node, value_node: yaml.Node) -> Value:
        key = "default_profile"
        name = self.scalar(value_node, key)
        if not isinstance(name, str) or not name.strip():
            raise self.error(value_node, key, "expected a profile name")
        line = _line(key_node)
        return Value(name.strip(), f"config {self.path}:{line} ({key})", self.path, line, key)

    def mapping(self, node: yaml.Node, where: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """The entries of a YAML mapping as (key, key node, value node); merge keys
        (`<<: *base`) applied, a key given twice is an error."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, where, f"expected a mapping, got {_kind(node)}")
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, where, "keys must be plain names")
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if key_node.value in seen:
                raise self.error(
                    key_node,
                    _dotted(where, key_node.value),
                    f"given twice (first on line {_line(seen[key_node.value])})",
                )
            seen[key_node.value] = key_node
        try:
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = None if mark is None else mark.line + 1
            raise ConfigError(
                f"{where}: {exc.problem}", path=self.path, line=line, key=where
            ) from exc
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            entries[str(key_node.value)] = (key_node, value_node)  # the last one wins
        return [(k, kn, vn) for k, (kn, vn) in entries.items()]

    def scalar(self, node: yaml.Node, key: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, key, f"expected a single value, got {_kind(node)}")
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.error(node, key, f"unreadable value: {exc}") from exc

    def profile(self, name: str, name_node: yaml.Node, body: yaml.Node) -> ConfigProfile:
        where = f"profiles.{name}"
        values: Layer = {}
        for key, key_node, value_node in [] if _is_null(body) else self.mapping(body, where):
            dotted = f"{where}.{key}"
            setting = DECLARED.get(key)
            if setting is None:
                raise self.error(key_node, dotted, _unknown(key, PROFILE_KEYS))
            if setting.kind.shape == "mapping":
                for entry, value, line in self.entries(setting.kind, value_node, dotted):
                    source = f"config {self.path}:{line}, profile {name}"
                    values[f"{key}.{entry}"] = Value(
                        value, source, self.path, line, f"{dotted}.{entry}"
                    )
                continue
            value = self.value(setting.kind, value_node, dotted)
            self.holds_secret |= setting.kind.holds_secret(value)
            line = _line(key_node)
            source = f"config {self.path}:{line}, profile {name}"
            values[key] = Value(value, source, self.path, line, dotted)
        return ConfigProfile(name, _line(name_node), values)

    def value(self, kind: Kind, node: yaml.Node, key: str) -> Any:
        """A setting's value: one, or (for a kind that takes a list) a list of them."""
        if kind.shape != "list":
            return self.checked(kind, node, key)
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        values = [self.checked(kind, item, key) for item in items]
        try:
            return kind.all_of(values)
        except Problem as problem:
            raise self.error(node, key, str(problem)) from None

    def entries(self, kind: Kind, node: yaml.Node, where: str) -> list[tuple[str, Any, int]]:
        """A mapping setting's entries as (name, checked value, line)."""
        if _is_null(node):
            return []
        found: dict[str, tuple[Any, int]] = {}
        for name, name_node, value_node in self.mapping(node, where):
            value = self.checked(kind, value_node, f"{where}.{name}")
            found[name.strip()] = (value, _line(name_node))
        return [(name, value, line) for name, (value, line) in found.items()]

    def checked(self, kind: Kind, node: yaml.Node, key: str) -> Any:
        try:
            return kind.check(self.scalar(node, key), self.path.parent)
        except Problem as problem:
            raise self.error(node, key, str(problem)) from None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}"


def _dotted(where: str, key: str) -> str:
    return key if where.startswith("(") else f"{where}.{key}"


def _unknown(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown key{hint}; known keys: {', '.join(known)}"
