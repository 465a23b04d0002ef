"""The `cfy` CLI's profiles (`$CFY_WORKDIR/.cloudify/profiles/<name>/context.json`):
which exist, which is active, and the settings one gives. Only ever read.

A profile of a cluster (`cfy cluster update-profile`) gives its `manager_ip` first,
then the other managers it stored under `cluster.manager`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.config.errors import ConfigError
from tui.config.kinds import Urls
from tui.config.layers import Layer, Value
from tui.config.manager_urls import unique_urls
from tui.config.settings import SETTINGS


def cfy_home_from(environ: Mapping[str, str]) -> Path:
    """The `cfy` CLI's state directory: `$CFY_WORKDIR/.cloudify`, else `~/.cloudify`."""
    workdir = environ.get("CFY_WORKDIR") or environ.get("HOME") or str(Path.home())
    return Path(workdir).expanduser() / ".cloudify"


def cfy_profile_names(cfy_home: Path) -> list[str]:
    try:
        return sorted(
            p.name for p in (cfy_home / "profiles").iterdir() if (p / "context.json").is_file()
        )
    except OSError:
        return []


def has_cfy_profile(cfy_home: Path, name: str) -> bool:
    return safe_name(name) and (cfy_home / "profiles" / name / "context.json").is_file()


def active_cfy_profile(cfy_home: Path) -> tuple[str, Path] | None:
    """The active profile's name and the file that says so; None for none or `local`."""
    path = cfy_home / "active.profile"
    try:
        name = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not name or name == "local" or not safe_name(name):
        return None
    return name, path


def safe_name(name: str) -> bool:
    return name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def read_cfy_profile(cfy_home: Path, name: str) -> tuple[Path, dict[str, Any]]:
    """Profile `name`'s context.json and what it holds; ConfigError if unreadable."""
    path = cfy_home / "profiles" / name / "context.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read this cfy CLI profile: {exc}", path=path) from exc
    if not isinstance(data, dict):
        raise ConfigError("cannot read this cfy CLI profile: not a JSON object", path=path)
    return path, data


def _url(context: Mapping[str, Any]) -> str | None:
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


def cfy_urls(context: Mapping[str, Any]) -> tuple[str, ...]:
    """The profile's manager, then the other managers of its cluster (what `cfy
    cluster update-profile` stores under `cluster.manager`: `host_ip`, and maybe its
    own `rest_port` / `rest_protocol`), as the `cfy` CLI tries them."""
    first = _url(context)
    found = [first] if first else []
    cluster = context.get("cluster")
    nodes = cluster.get("manager") if isinstance(cluster, Mapping) else None
    for node in nodes if isinstance(nodes, list) else ():
        if not isinstance(node, Mapping) or not isinstance(node.get("host_ip"), str):
            continue
        own = {key: node[key] for key in ("rest_port", "rest_protocol") if node.get(key)}
        url = _url({**context, **own, "manager_ip": node["host_ip"]})
        if url:
            found.append(url)
    return unique_urls(found)


def cfy_layer(path: Path, context: Mapping[str, Any]) -> Layer:
    """The settings profile `context` (read from `path`) gives: those declared with
    a `cfy` key."""
    found: Layer = {}
    for setting in SETTINGS:
        if setting.cfy is None:
            continue
        if isinstance(setting.kind, Urls):
            value: Any = cfy_urls(context)
            what = "manager_ip, rest_port, rest_protocol" + (", cluster" if len(value) > 1 else "")
        else:
            value, what = context.get(setting.cfy), setting.cfy
        if value and isinstance(value, str | tuple):
            found[setting.name] = Value(value, f"cfy profile {path} ({what})", path, None, what)
    return found
