"""What our config file holds once read (tui/config/file.py finds it,
tui/config/yaml_reader.py reads it)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from tui.config.layers import Layer, Value
from tui.config.settings import SETTINGS

TOP_KEYS = ("default_profile", "profiles")
PROFILE_KEYS = tuple(s.name for s in SETTINGS)


class ConfigProfile(NamedTuple):
    name: str
    line: int
    values: Layer


class ConfigFile(NamedTuple):
    path: Path
    default_profile: Value | None
    profiles: dict[str, ConfigProfile]
    holds_secret: bool  # a password or token, in any profile: the file must be private
    profiles_line: int | None = None
