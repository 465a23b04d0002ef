"""The profiles one can switch to: those of our config file, then the `cfy` CLI's
that a profile of ours of the same name does not hide."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tui.config.cfy_profiles import (
    active_cfy_profile,
    cfy_home_from,
    cfy_profile_names,
    cfy_urls,
    read_cfy_profile,
)
from tui.config.errors import ConfigError
from tui.config.file import ConfigFile, default_config_path, load_config
from tui.config.settings import CONFIG


@dataclass(frozen=True)
class ProfileInfo:
    """A profile one can switch to: ours (`kind="config"`) or the `cfy` CLI's."""

    name: str
    kind: str  # "config" | "cfy"
    path: Path  # our config file, or the cfy profile's context.json
    manager: str | None  # its hosts, comma-separated for a cluster
    default: bool  # our default_profile, or the cfy CLI's active profile


def list_profiles(
    config_path: Path | str | None = None,
    cfy_home: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[ProfileInfo]:
    """Our config file's profiles, then the `cfy` CLI's (those a profile of ours
    of the same name does not hide)."""
    environ = os.environ if environ is None else environ
    if config_path is None:
        config_path = environ.get(CONFIG.env) or default_config_path()
    path = Path(config_path).expanduser()
    config = load_config(path) if path.is_file() else None
    home = cfy_home_from(environ) if cfy_home is None else Path(cfy_home)
    return available(config, home)


def available(config: ConfigFile | None, cfy_home: Path) -> list[ProfileInfo]:
    found: list[ProfileInfo] = []
    if config is not None:
        default = config.default_profile.value if config.default_profile else None
        for name, profile in config.profiles.items():
            manager = profile.values.get("manager")
            shown_hosts = ", ".join(manager.value) if manager else None
            found.append(ProfileInfo(name, "config", config.path, shown_hosts, name == default))
    ours = {p.name for p in found}
    active = active_cfy_profile(cfy_home)
    for name in cfy_profile_names(cfy_home):
        if name in ours:
            continue
        try:
            path, context = read_cfy_profile(cfy_home, name)
        except ConfigError:
            continue
        is_active = active is not None and active[0] == name
        urls = cfy_urls(context)
        found.append(ProfileInfo(name, "cfy", path, ", ".join(urls) or None, is_active))
    return found
