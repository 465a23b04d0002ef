"""Layers of settings: what one place (the flags, the environment, a profile of our
config file, a `cfy` CLI profile) gives, each value with where it came from.

`resolve` takes every setting from the first layer that gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tui.config.settings import DECLARED, SETTINGS


class Value(NamedTuple):
    """A value and where it came from: `source` as shown, and the file, line and
    key that an error about it names. (A NamedTuple, as the other records read at
    every start: a fifth of a dataclass's import cost.)"""

    value: Any
    source: str
    path: Path | None = None
    line: int | None = None
    key: str | None = None


# Setting name -> value; key overrides as "keys.<binding id>".
Layer = dict[str, Value]


def first(layers: list[Layer], name: str) -> Value | None:
    """The value of the first layer that gives `name`."""
    for layer in layers:
        if name in layer:
            return layer[name]
    return None


def flag_layer(options: Mapping[str, Any], warnings: list[str]) -> Layer:
    """What the command line gives (argparse's dests are the settings' names). A
    secret there is visible to other users: it works, with a warning."""
    layer: Layer = {}
    for setting in SETTINGS:
        if setting.flag is None or options.get(setting.name) is None:
            continue
        value = setting.kind.from_flag(options[setting.name])
        if value is None:
            continue
        source = f"flag {setting.flag}"
        if setting.kind.secret:
            source += " (visible to other users)"
            warnings.append(
                f"{setting.flag} is visible to other users of this machine (ps, shell "
                f"history): prefer ${setting.env} or the config file"
            )
        elif setting.kind.holds_secret(value):
            warnings.append(
                f"the {setting.flag} URL holds a password, visible to other users of this "
                f"machine (ps, shell history): prefer ${DECLARED['password'].env} or the "
                "config file"
            )
        layer[setting.name] = Value(value, source, key=setting.flag)
    return layer


def env_layer(environ: Mapping[str, str]) -> Layer:
    """What the environment gives."""
    layer: Layer = {}
    for setting in SETTINGS:
        raw = None if setting.env is None else environ.get(setting.env)
        if raw is None:
            continue
        value = setting.kind.from_env(raw, setting.env)
        if value is not None:
            layer[setting.name] = Value(value, f"${setting.env}", key=setting.env)
    return layer
