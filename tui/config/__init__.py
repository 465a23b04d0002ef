"""Settings: flags, environment, our config file and the `cfy` CLI's profiles.

Every effective value is taken from the first of these that gives it, and records
where it came from:

1. command-line flags (`--manager`, `--tenant`, ...);
2. the environment: `CLOUDIFY_USERNAME`, `CLOUDIFY_PASSWORD`, `CLOUDIFY_TENANT`,
   `CLOUDIFY_TOKEN` (as the `cfy` CLI reads them) and our own `CFY_TUI_MANAGER`,
   `CFY_TUI_PROFILE`, `CFY_TUI_CONFIG`, `CFY_TUI_READ_ONLY`;
3. a profile of our config file (`<user config dir>/cfy-tui/config.yaml`):

   ```yaml
   default_profile: prod
   profiles:
     prod:
       manager: https://cfy.example.com    # a cluster: a list of its managers' URLs
       tenant: default_tenant
       username: admin
       auth: password          # or: token
       password: "..."         # secrets are allowed here (chmod 600 the file)
       ca_cert: ~/certs/cfy-ca.pem
       read_only: true
       fast_interval: 1.0
       slow_interval: 5.0
       theme: nord
       ascii: false
       keys:
         main.start: ctrl+s
   ```

4. a profile of the `cfy` CLI (`$CFY_WORKDIR/.cloudify` or `~/.cloudify`): the
   active one, or the one `--profile` names when our config has none of that name.
   Those files are only ever read. A profile of a cluster (`cfy cluster
   update-profile`) gives its `manager_ip` first, then its other managers;
5. defaults.

`manager` is one URL or, for a cluster (managers sharing one database), several:
`--manager` repeated, a YAML list in the config file, or commas in
`$CFY_TUI_MANAGER`. The first is tried first; the others when it cannot be reached
(`tui/api/hosts.py`). Credentials, tenant and TLS settings are the same for all.

The auth method is the profile's `auth:` when it says one, else token when a token
is given anywhere (as the `cfy` CLI does), else password. Stored credentials belong
to their manager: when a profile (ours or the CLI's) names a manager and the
effective manager is another one, none of that profile's connection settings
(tenant, auth, user, secrets, TLS) are used. Top-level keys starting with `x-` are
ignored (a place for YAML anchors: `<<: *base`).

This module never imports Textual: the command line uses it before any UI exists.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import platformdirs
import yaml

APP_NAME = "cfy-tui"
CONFIG_FILE = "config.yaml"

# Environment variables.
ENV_USERNAME = "CLOUDIFY_USERNAME"
ENV_PASSWORD = "CLOUDIFY_PASSWORD"
ENV_TENANT = "CLOUDIFY_TENANT"
ENV_TOKEN = "CLOUDIFY_TOKEN"
ENV_MANAGER = "CFY_TUI_MANAGER"
ENV_PROFILE = "CFY_TUI_PROFILE"
ENV_CONFIG = "CFY_TUI_CONFIG"
ENV_READ_ONLY = "CFY_TUI_READ_ONLY"

AUTH_METHODS = ("password", "token")
SECRETS = frozenset({"password", "token"})
# What belongs to one manager: never sent to another one.
CONNECTION = frozenset({"tenant", "auth", "username", "password", "token", "ca_cert", "insecure"})
MASK = "********"
NOT_SET = "(not set)"

DEFAULTS: dict[str, Any] = {
    "manager": None,
    "tenant": "default_tenant",
    "auth": "password",
    "username": None,
    "password": None,
    "token": None,
    "ca_cert": None,
    "insecure": False,
    "read_only": False,
    "fast_interval": 1.0,
    "slow_interval": 5.0,
    "theme": None,
    "ascii": False,
    "bell": False,
    "open_execution": True,
    "keys": {},
}

# Flags: settings field -> (argparse dest, flag as typed).
FLAGS = {
    "manager": ("manager", "--manager"),
    "tenant": ("tenant", "--tenant"),
    "username": ("username", "--username"),
    "token": ("token", "--token"),
    "ca_cert": ("ca_cert", "--ca-cert"),
    "insecure": ("insecure", "--insecure"),
    "read_only": ("read_only", "--read-only"),
    "ascii": ("ascii", "--ascii"),
}
ENVIRONMENT = {
    "manager": ENV_MANAGER,
    "tenant": ENV_TENANT,
    "username": ENV_USERNAME,
    "password": ENV_PASSWORD,
    "token": ENV_TOKEN,
    "read_only": ENV_READ_ONLY,
}

TOP_KEYS = ("default_profile", "profiles")
# Keys of a profile in our config file and the type each must have.
PROFILE_KEYS: dict[str, str] = {
    "manager": "urls",
    "tenant": "str",
    "username": "str",
    "auth": "auth",
    "password": "secret",
    "token": "secret",
    "ca_cert": "path",
    "insecure": "bool",
    "read_only": "bool",
    "fast_interval": "interval",
    "slow_interval": "interval",
    "theme": "str",
    "ascii": "bool",
    "bell": "bool",
    "open_execution": "bool",
    "keys": "keys",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class ConfigError(Exception):
    """A setting that cannot be used. `str()` names the file and line when there is
    one (`path:line: key: problem`); `.path`, `.line` and `.key` say the same."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else Path(path)
        self.line = line
        self.key = key

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Settings:
    """The effective settings. `repr()` masks the secrets."""

    manager: str | None = None
    # The other managers of `manager`'s cluster, in the order to try them.
    cluster: tuple[str, ...] = ()
    tenant: str = "default_tenant"
    auth: str = "password"
    username: str | None = None
    password: str | None = None
    token: str | None = None
    ca_cert: str | None = None
    insecure: bool = False
    read_only: bool = False
    fast_interval: float = 1.0
    slow_interval: float = 5.0
    theme: str | None = None
    ascii: bool = False
    bell: bool = False  # ring the terminal bell when a watched execution ends
    open_execution: bool = True  # open the execution screen after a start
    keys: dict[str, str] = field(default_factory=dict)
    profile_name: str | None = None

    def __repr__(self) -> str:
        shown_fields = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRETS and value is not None:
                value = MASK
            elif f.name == "manager" and value is not None:
                value = redact_url(value)
            elif f.name == "cluster":
                value = tuple(redact_url(url) for url in value)
            shown_fields.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown_fields)})"

    @property
    def managers(self) -> tuple[str, ...]:
        """Every host to connect to: `manager`, then the rest of its cluster."""
        return (self.manager, *self.cluster) if self.manager else ()


@dataclass(frozen=True)
class ProfileInfo:
    """A profile one can switch to: ours (`kind="config"`) or the `cfy` CLI's."""

    name: str
    kind: str  # "config" | "cfy"
    path: Path  # our config file, or the cfy profile's context.json
    manager: str | None  # its hosts, comma-separated for a cluster
    default: bool  # our default_profile, or the cfy CLI's active profile


@dataclass(frozen=True)
class Resolved:
    """Settings plus where each came from, warnings, and the profiles available."""

    settings: Settings
    sources: dict[str, str]
    warnings: list[str]
    profiles: list[ProfileInfo]
    config_path: Path | None = None
    config_source: str = ""

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")

    def with_value(self, name: str, value: Any, source: str) -> Resolved:
        """A copy with one setting replaced (a prompted password, the demo's URL)."""
        return replace(
            self,
            settings=replace(self.settings, **{name: value}),
            sources={**self.sources, name: source},
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(setting, shown value, where it came from), secrets masked: for display."""
        rows: list[tuple[str, str, str]] = []
        if self.config_path is not None:
            exists = "" if self.config_path.is_file() else " (no such file)"
            rows.append(("config file", f"{self.config_path}{exists}", self.config_source))
        names = [f.name for f in fields(Settings)]
        for name in ["profile_name", *(n for n in names if n != "profile_name")]:
            value = getattr(self.settings, name)
            if name == "cluster":  # shown with the manager
                continue
            if name == "manager" and value is not None:
                value = ", ".join(self.settings.managers)
            if name == "keys":
                if not value:
                    rows.append(("keys", "(no overrides)", self.source("keys")))
                for binding_id, keys in sorted(value.items()):
                    rows.append((f"keys: {binding_id}", keys, self.source(f"keys.{binding_id}")))
                continue
            label = "profile" if name == "profile_name" else name.replace("_", " ")
            rows.append((label, shown(name, value), self.source(name)))
        return rows


def masked(value: Any) -> str:
    """How a secret is shown: whether it is set, never what it is nor how long."""
    return MASK if value else NOT_SET


def shown(name: str, value: Any) -> str:
    """A setting's value as shown to the user (secrets masked)."""
    if name in SECRETS:
        return masked(value)
    if value is None or value == "":
        return NOT_SET
    if name == "manager":
        return ", ".join(redact_url(url.strip()) for url in str(value).split(","))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return f"{value:g} s" if name.endswith("_interval") else f"{value:g}"
    return str(value)


# -- where things are ------------------------------------------------------------------
def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILE


def cfy_home_from(environ: Mapping[str, str]) -> Path:
    """The `cfy` CLI's state directory: `$CFY_WORKDIR/.cloudify`, else `~/.cloudify`."""
    workdir = environ.get("CFY_WORKDIR") or environ.get("HOME") or str(Path.home())
    return Path(workdir).expanduser() / ".cloudify"


# -- values and layers -----------------------------------------------------------------
@dataclass(frozen=True)
class _Value:
    value: Any
    source: str
    path: Path | None = None
    line: int | None = None
    key: str | None = None


_Layer = dict[str, _Value]


@dataclass
class _ConfigProfile:
    name: str
    line: int
    values: _Layer


@dataclass
class _ConfigFile:
    path: Path
    default_profile: _Value | None
    profiles: dict[str, _ConfigProfile]
    holds_secret: bool
    profiles_line: int | None = None


# -- our config file ---------------------------------------------------------------------
def load_config(path: Path) -> _ConfigFile:
    """Parse and check our config file; every problem is a ConfigError naming the
    file, the line and the key."""
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
        return _ConfigReader(path, loader).read(root)
    finally:
        loader.dispose()


class _ConfigReader:
    def __init__(self, path: Path, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.holds_secret = False

    def error(self, node: yaml.Node | None, key: str, problem: str) -> ConfigError:
        line = None if node is None else node.start_mark.line + 1
        return ConfigError(f"{key}: {problem}", path=self.path, line=line, key=key)

    def read(self, root: yaml.Node | None) -> _ConfigFile:
        config = _ConfigFile(self.path, None, {}, False)
        if root is None:  # an empty file
            return config
        for key, key_node, value_node in self.mapping(root, "(top level)"):
            if key == "default_profile":
                name = self.scalar(value_node, key)
                if not isinstance(name, str) or not name.strip():
                    raise self.error(value_node, key, "expected a profile name")
                config.default_profile = _Value(
                    name.strip(),
                    f"config {self.path}:{_line(key_node)} (default_profile)",
                    self.path,
                    _line(key_node),
                    key,
                )
            elif key == "profiles":
                config.profiles_line = _line(key_node)
                if _is_null(value_node):
                    continue
                for name, name_node, body in self.mapping(value_node, key):
                    config.profiles[name] = self.profile(name, name_node, body)
            elif not key.startswith("x-"):  # x-...: free, e.g. for YAML anchors
                raise self.error(key_node, key, _unknown(key, TOP_KEYS))
        config.holds_secret = self.holds_secret
        return config

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

    def profile(self, name: str, name_node: yaml.Node, body: yaml.Node) -> _ConfigProfile:
        where = f"profiles.{name}"
        values: _Layer = {}
        entries = [] if _is_null(body) else self.mapping(body, where)
        for key, key_node, value_node in entries:
            dotted = f"{where}.{key}"
            kind = PROFILE_KEYS.get(key)
            if kind is None:
                raise self.error(key_node, dotted, _unknown(key, tuple(PROFILE_KEYS)))
            line = _line(key_node)
            source = f"config {self.path}:{line}, profile {name}"
            if kind == "keys":
                for binding_id, keys in self.keys(value_node, dotted).items():
                    keys_source = f"config {self.path}:{keys[1]}, profile {name}"
                    values[f"keys.{binding_id}"] = _Value(
                        keys[0], keys_source, self.path, keys[1], f"{dotted}.{binding_id}"
                    )
                continue
            if kind == "urls":
                value = self.urls(value_node, dotted)
            else:
                value = self.checked(kind, self.scalar(value_node, dotted), value_node, dotted)
            if key in SECRETS or (key == "manager" and any(map(_url_has_password, value))):
                self.holds_secret = True
            values[key] = _Value(value, source, self.path, line, dotted)
        return _ConfigProfile(name, _line(name_node), values)

    def checked(self, kind: str, value: Any, node: yaml.Node, key: str) -> Any:
        if value is None:
            raise self.error(node, key, "no value given (remove the key to use the default)")
        if kind in ("str", "secret", "url", "path", "auth"):
            if not isinstance(value, str):
                got = "a value" if kind == "secret" else f"{_type_name(value)} {value!r}"
                raise self.error(node, key, f"expected a string, got {got} (quote it)")
            if not value.strip():
                raise self.error(node, key, "expected a non-empty string")
        if kind == "url":
            problem = url_problem(value)
            if problem:
                raise self.error(node, key, problem)
            return value.strip().rstrip("/")
        if kind == "auth" and value not in AUTH_METHODS:
            raise self.error(node, key, f"expected password or token, got {value!r}")
        if kind == "path":
            path = Path(value).expanduser()
            return str(path if path.is_absolute() else (self.path.parent / path))
        if kind == "bool" and not isinstance(value, bool):
            raise self.error(node, key, f"expected true or false, got {value!r}")
        if kind == "interval":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(node, key, f"expected a number of seconds, got {value!r}")
            if not 0.05 <= value <= 3600:
                raise self.error(node, key, f"expected 0.05 to 3600 seconds, got {value!r}")
            return float(value)
        return value.strip() if isinstance(value, str) and kind != "secret" else value

    def urls(self, node: yaml.Node, key: str) -> tuple[str, ...]:
        """One URL, or a list of them (the managers of a cluster)."""
        if not isinstance(node, yaml.SequenceNode):
            return (self.checked("url", self.scalar(node, key), node, key),)
        if not node.value:
            raise self.error(node, key, "expected at least one URL")
        urls = tuple(self.checked("url", self.scalar(item, key), item, key) for item in node.value)
        return _unique_urls(urls)

    def keys(self, node: yaml.Node, where: str) -> dict[str, tuple[str, int]]:
        overrides: dict[str, tuple[str, int]] = {}
        if _is_null(node):
            return overrides
        for binding_id, key_node, value_node in self.mapping(node, where):
            dotted = f"{where}.{binding_id}"
            keys = self.scalar(value_node, dotted)
            if not isinstance(keys, str) or not keys.strip():
                problem = f'expected keys such as "ctrl+s" or "f5,ctrl+s", got {keys!r}'
                raise self.error(value_node, dotted, problem)
            overrides[binding_id.strip()] = (keys.strip(), _line(key_node))
        return overrides


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


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number"}.get(type(value), "a value")


def _dotted(where: str, key: str) -> str:
    return key if where.startswith("(") else f"{where}.{key}"


def _unknown(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown key{hint}; known keys: {', '.join(known)}"


def redact_url(url: str) -> str:
    """The URL without the user and password it may carry (`https://u:pw@host`)."""
    parsed = urlparse(url)
    if "@" not in parsed.netloc:
        return url
    return parsed._replace(netloc="***@" + parsed.netloc.rpartition("@")[2]).geturl()


def _url_has_password(url: str) -> bool:
    try:
        return urlparse(url).password is not None
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"must be an http(s) URL, got {redact_url(url)!r}"
    return None


def _unique_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """`urls` in order, each manager once (however its URL is spelled)."""
    unique: list[str] = []
    for url in urls:
        if not any(_same_manager(url, seen) for seen in unique):
            unique.append(url)
    return tuple(unique)


def _all_known(hosts: Iterable[str], known: Iterable[str]) -> bool:
    """Whether every one of `hosts` is one of `known`: a profile's stored credentials go
    only to managers that profile names."""
    known = tuple(known)
    return all(any(_same_manager(host, k) for k in known) for host in hosts)


def _same_manager(a: str, b: str) -> bool:
    def key(url: str) -> tuple[str, str, int | None, str]:
        parsed = urlparse(url)
        try:
            port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
        except ValueError:
            port = None
        return parsed.scheme, (parsed.hostname or "").lower(), port, parsed.path.rstrip("/")

    return key(a) == key(b)


def _permission_warning(path: Path) -> str | None:
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    what = "read" if mode & 0o044 else "change"
    return (
        f"{path} holds a password or token but other users can {what} it (mode {mode:04o}): "
        f"run chmod 600 {path}"
    )


# -- the cfy CLI's profiles --------------------------------------------------------------
def _cfy_profile_names(cfy_home: Path) -> list[str]:
    try:
        return sorted(
            p.name for p in (cfy_home / "profiles").iterdir() if (p / "context.json").is_file()
        )
    except OSError:
        return []


def _cfy_active(cfy_home: Path) -> tuple[str, Path] | None:
    path = cfy_home / "active.profile"
    try:
        name = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not name or name == "local" or not _safe_name(name):
        return None
    return name, path


def _safe_name(name: str) -> bool:
    return name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def _cfy_context(cfy_home: Path, name: str) -> tuple[Path, dict[str, Any]]:
    path = cfy_home / "profiles" / name / "context.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read this cfy CLI profile: {exc}", path=path) from exc
    if not isinstance(data, dict):
        raise ConfigError("cannot read this cfy CLI profile: not a JSON object", path=path)
    return path, data


def _cfy_url(context: Mapping[str, Any]) -> str | None:
    host = context.get("manager_ip")
    if not isinstance(host, str) or not host:
        return None
    scheme = context.get("rest_protocol") or "http"
    if scheme not in ("http", "https"):
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = context.get("rest_port")
    default_port = {"http": 80, "https": 443}[scheme]
    if isinstance(port, int) and not isinstance(port, bool) and port != default_port:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _cfy_urls(context: Mapping[str, Any]) -> tuple[str, ...]:
    """The profile's manager, then the other managers of its cluster (what `cfy
    cluster update-profile` stores under `cluster.manager`: `host_ip`, and maybe its
    own `rest_port` / `rest_protocol`), as the `cfy` CLI tries them."""
    first = _cfy_url(context)
    urls = [first] if first else []
    cluster = context.get("cluster")
    nodes = cluster.get("manager") if isinstance(cluster, Mapping) else None
    for node in nodes if isinstance(nodes, list) else ():
        if not isinstance(node, Mapping) or not isinstance(node.get("host_ip"), str):
            continue
        own = {key: node[key] for key in ("rest_port", "rest_protocol") if node.get(key)}
        url = _cfy_url({**context, **own, "manager_ip": node["host_ip"]})
        if url:
            urls.append(url)
    return _unique_urls(urls)


def _cfy_layer(path: Path, context: Mapping[str, Any]) -> _Layer:
    layer: _Layer = {}

    def put(name: str, value: Any, what: str) -> None:
        if value and isinstance(value, str | tuple):
            layer[name] = _Value(value, f"cfy profile {path} ({what})", path, None, what)

    what = "manager_ip, rest_port, rest_protocol"
    urls = _cfy_urls(context)
    put("manager", urls, what + (", cluster" if len(urls) > 1 else ""))
    put("tenant", context.get("manager_tenant"), "manager_tenant")
    put("username", context.get("manager_username"), "manager_username")
    put("password", context.get("manager_password"), "manager_password")
    put("token", context.get("manager_token"), "manager_token")
    put("ca_cert", context.get("rest_certificate"), "rest_certificate")
    return layer


def list_profiles(
    config_path: Path | str | None = None,
    cfy_home: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[ProfileInfo]:
    """Our config file's profiles, then the `cfy` CLI's (those a profile of ours
    of the same name does not hide)."""
    environ = os.environ if environ is None else environ
    if config_path is None:
        config_path = environ.get(ENV_CONFIG) or default_config_path()
    path = Path(config_path).expanduser()
    config = load_config(path) if path.is_file() else None
    home = cfy_home_from(environ) if cfy_home is None else Path(cfy_home)
    return _profiles(config, home)


def _profiles(config: _ConfigFile | None, cfy_home: Path) -> list[ProfileInfo]:
    found: list[ProfileInfo] = []
    if config is not None:
        default = config.default_profile.value if config.default_profile else None
        for name, profile in config.profiles.items():
            manager = profile.values.get("manager")
            shown_hosts = ", ".join(manager.value) if manager else None
            found.append(ProfileInfo(name, "config", config.path, shown_hosts, name == default))
    ours = {p.name for p in found}
    active = _cfy_active(cfy_home)
    for name in _cfy_profile_names(cfy_home):
        if name in ours:
            continue
        try:
            path, context = _cfy_context(cfy_home, name)
        except ConfigError:
            continue
        is_active = active is not None and active[0] == name
        urls = _cfy_urls(context)
        found.append(ProfileInfo(name, "cfy", path, ", ".join(urls) or None, is_active))
    return found


# -- resolving -----------------------------------------------------------------------------
def _options(args: Any) -> dict[str, Any]:
    if args is None:
        return {}
    if isinstance(args, Mapping):
        return dict(args)
    return dict(vars(args))


def _env_bool(environ: Mapping[str, str], name: str) -> bool | None:
    raw = environ.get(name)
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"${name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}", key=name)


def resolve(
    args: Any = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | str | None = None,
    cfy_home: Path | str | None = None,
    *,
    demo: bool | None = None,
) -> Resolved:
    """The effective settings from flags (`args`: an argparse Namespace or a dict,
    absent or None meaning "not given"), the environment, our config file and the
    `cfy` CLI's profiles.

    `config_path` replaces the default location of our config file (`--config` and
    `$CFY_TUI_CONFIG` still win); `cfy_home` replaces `$CFY_WORKDIR/.cloudify`.
    With `demo` (default: `args.demo`), no manager or credential setting is taken
    from anywhere: the caller fills them in for the embedded manager.
    Raises ConfigError for anything that cannot be used."""
    opts = _options(args)
    environ = os.environ if environ is None else environ
    demo = bool(opts.get("demo")) if demo is None else demo
    warnings: list[str] = []

    # Which config file.
    if opts.get("config"):
        path, config_source, must_exist = Path(opts["config"]), "flag --config", True
    elif environ.get(ENV_CONFIG):
        path, config_source, must_exist = Path(environ[ENV_CONFIG]), f"${ENV_CONFIG}", True
    elif config_path is not None:
        path, config_source, must_exist = Path(config_path), "default location", False
    else:
        path, config_source, must_exist = default_config_path(), "default location", False
    path = path.expanduser()
    config: _ConfigFile | None = None
    if path.is_file():
        config = load_config(path)
        if config.holds_secret and (warning := _permission_warning(path)):
            warnings.append(warning)
    elif must_exist:
        raise ConfigError(f"config file not found ({config_source})", path=path, key="--config")
    home = cfy_home_from(environ) if cfy_home is None else Path(cfy_home)

    # Which profile.
    selected: _Value | None = None
    if opts.get("profile"):
        selected = _Value(opts["profile"], "flag --profile", key="--profile")
    elif environ.get(ENV_PROFILE):
        selected = _Value(environ[ENV_PROFILE], f"${ENV_PROFILE}", key=ENV_PROFILE)
    elif config is not None and config.default_profile is not None:
        selected = config.default_profile
    config_layer: _Layer = {}
    cfy_layer: _Layer = {}
    cfy_name: str | None = None
    cfy_explicit = False
    profile_name: str | None = None
    profile_source = "default"
    if selected is not None:
        profile_name, profile_source = selected.value, selected.source
        if config is not None and selected.value in config.profiles:
            config_layer = dict(config.profiles[selected.value].values)
        elif (
            _safe_name(selected.value)
            and (home / "profiles" / selected.value / "context.json").is_file()
        ):
            cfy_name, cfy_explicit = selected.value, True
        else:
            raise _unknown_profile(selected, config, home)
    active = None if cfy_name is not None else _cfy_active(home)
    if active is not None and (home / "profiles" / active[0] / "context.json").is_file():
        cfy_name = active[0]
        if profile_name is None:
            profile_name, profile_source = active[0], f"cfy {active[1]}"
    if cfy_name is not None:
        try:
            cfy_path, context = _cfy_context(home, cfy_name)
            cfy_layer = _cfy_layer(cfy_path, context)
        except ConfigError as exc:
            if cfy_explicit:
                raise
            warnings.append(f"the active cfy CLI profile is ignored: {exc}")

    # Flags and environment.
    flag_layer: _Layer = {}
    for name, (dest, flag) in FLAGS.items():
        value = opts.get(dest)
        if value is None or value == "":
            continue
        source = f"flag {flag}"
        if name == "token":
            source = "flag --token (visible to other users)"
            warnings.append(
                "--token is visible to other users of this machine (ps, shell history): "
                f"prefer ${ENV_TOKEN} or the config file"
            )
        if name == "manager":
            value = _url_list(value)
            if not value:
                continue
        if name == "manager" and any(map(_url_has_password, value)):
            warnings.append(
                "the --manager URL holds a password, visible to other users of this machine "
                f"(ps, shell history): prefer ${ENV_PASSWORD} or the config file"
            )
        flag_layer[name] = _Value(value, source, key=flag)
    env_layer: _Layer = {}
    for name, var in ENVIRONMENT.items():
        value = _env_bool(environ, var) if name == "read_only" else environ.get(var)
        if value is None or value == "":
            continue
        if name == "manager":
            value = _url_list(value.split(","))
            if not value:
                continue
        env_layer[name] = _Value(value, f"${var}", key=var)
    layers = [flag_layer, env_layer, config_layer, cfy_layer]

    if demo:
        for layer in layers:
            for name in ("manager", *CONNECTION):
                if not (layer is flag_layer and name == "tenant"):
                    layer.pop(name, None)
    else:
        manager = _first(layers, "manager")
        if manager is not None:
            for url in manager.value:
                problem = url_problem(url)
                if problem:
                    raise _value_error(manager, problem)
            for layer in (config_layer, cfy_layer):
                own = layer.get("manager")
                if own is not None and not _all_known(manager.value, own.value):
                    for name in CONNECTION:
                        layer.pop(name, None)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in DEFAULTS:
        if name == "keys":
            continue
        found = _first(layers, name)
        values[name] = DEFAULTS[name] if found is None else found.value
        sources[name] = "default" if found is None else found.source
    managers = _unique_urls(url.strip().rstrip("/") for url in values["manager"] or ())
    values["manager"] = managers[0] if managers else None
    values["cluster"] = managers[1:]
    sources["cluster"] = sources["manager"]
    keys: dict[str, str] = {}
    for layer in reversed(layers):
        for name, found in layer.items():
            if name.startswith("keys."):
                keys[name.removeprefix("keys.")] = found.value
                sources[name] = found.source
    values["keys"] = keys
    sources["keys"] = "default"

    auth = _auth(layers)
    if auth is not None:
        values["auth"], sources["auth"] = auth.value, auth.source
    else:
        sources["auth"] = "default (no token given)"
    unused = "password" if values["auth"] == "token" else "token"
    if values[unused] is not None:
        values[unused], sources[unused] = None, f"not used ({values['auth']} auth)"
    if values["auth"] == "token" and values["username"] is not None:
        values["username"], sources["username"] = None, "not used (token auth)"
    if demo:
        for name in ("manager", "auth", "username", "password"):
            sources[name] = "--demo (the embedded manager)"

    ca_cert = _first(layers, "ca_cert")
    if ca_cert is not None and not Path(ca_cert.value).expanduser().is_file():
        raise _value_error(ca_cert, f"{ca_cert.value}: no such file")
    if values["ca_cert"]:
        values["ca_cert"] = str(Path(values["ca_cert"]).expanduser())

    settings = Settings(**values, profile_name=profile_name)
    sources["profile_name"] = profile_source if profile_name else "no profile"
    return Resolved(
        settings=settings,
        sources=sources,
        warnings=warnings,
        profiles=_profiles(config, home),
        config_path=path,
        config_source=config_source,
    )


def _url_list(value: str | Iterable[str]) -> tuple[str, ...]:
    """A flag's or the environment's manager URLs: `--manager` may be repeated."""
    urls = [value] if isinstance(value, str) else list(value)
    return tuple(url.strip() for url in urls if url.strip())


def _first(layers: list[_Layer], name: str) -> _Value | None:
    for layer in layers:
        if name in layer:
            return layer[name]
    return None


def _auth(layers: list[_Layer]) -> _Value | None:
    """The auth method: what a profile of our config file says (`auth:`), else token
    when any layer gives a token (as the `cfy` CLI does), else the default, password."""
    for layer in layers:
        if "auth" in layer:
            return layer["auth"]
    token = _first(layers, "token")
    if token is not None:
        return _Value("token", f"{token.source} gives a token")
    return None


def _value_error(value: _Value, problem: str) -> ConfigError:
    if value.path is not None:  # our config file (with a line) or a cfy CLI profile
        return ConfigError(
            f"{value.key}: {problem}", path=value.path, line=value.line, key=value.key
        )
    if value.key and value.key.startswith("--"):  # a flag
        return ConfigError(f"{value.key} {problem}", key=value.key)
    return ConfigError(f"${value.key} {problem}", key=value.key)  # an environment variable


def _unknown_profile(selected: _Value, config: _ConfigFile | None, cfy_home: Path) -> ConfigError:
    ours = ", ".join(sorted(config.profiles)) if config is not None else ""
    theirs = ", ".join(_cfy_profile_names(cfy_home))
    problem = (
        f"unknown profile {selected.value!r}; profiles here: {ours or 'none'}; "
        f"cfy CLI profiles in {cfy_home / 'profiles'}: {theirs or 'none'}"
    )
    if selected.path is not None:  # default_profile in our file
        return ConfigError(
            f"default_profile: {problem}", path=selected.path, line=selected.line, key=selected.key
        )
    return ConfigError(
        f"{selected.key}: {problem}",
        path=None if config is None else config.path,
        line=None if config is None else config.profiles_line,
        key=selected.key,
    )
