"""Resolving: every setting from the first place that gives it (flags > environment
> our config file's profile > the `cfy` CLI's profile > defaults), with where it came
from, in named steps.

Stored credentials belong to their manager: when a profile (ours or the CLI's) names
a manager and the effective manager is another one, none of that profile's
connection settings are used. The auth method is the profile's `auth:` when it says
one, else token when a token is given anywhere (as the `cfy` CLI does), else
password.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tui.config.cfy_profiles import (
    active_cfy_profile,
    cfy_home_from,
    cfy_layer,
    cfy_profile_names,
    has_cfy_profile,
    read_cfy_profile,
)
from tui.config.errors import ConfigError
from tui.config.file import ConfigFile, default_config_path, load_config
from tui.config.kinds import FilePath
from tui.config.layers import Layer, Value, env_layer, first, flag_layer
from tui.config.manager_urls import all_known, unique_urls, url_problem
from tui.config.profiles import available
from tui.config.resolved import Resolved
from tui.config.settings import CONFIG, CONNECTION, PROFILE, SETTINGS, Settings

DEMO_SOURCE = "--demo (the embedded manager)"


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
    path, config_source, config = _config_file(opts, environ, config_path, warnings)
    home = cfy_home_from(environ) if cfy_home is None else Path(cfy_home)
    profile = _profile(opts, environ, config, home, warnings)
    flags = flag_layer(opts, warnings)
    layers = [flags, env_layer(environ), profile.config_layer, profile.cfy_layer]
    if demo:
        _forget_the_manager(layers, flags)
    else:
        _keep_credentials_with_their_manager(layers, [profile.config_layer, profile.cfy_layer])
    values, sources = _merge(layers)
    _settle_auth(values, sources, layers)
    if demo:
        sources.update(dict.fromkeys(("manager", "auth", "username", "password"), DEMO_SOURCE))
    _check_files(values, layers)
    sources["profile_name"] = profile.source if profile.name else "no profile"
    return Resolved(
        settings=Settings(**values, profile_name=profile.name),
        sources=sources,
        warnings=warnings,
        profiles=available(config, home),
        config_path=path,
        config_source=config_source,
    )


def _options(args: Any) -> dict[str, Any]:
    if args is None:
        return {}
    if isinstance(args, Mapping):
        return dict(args)
    return dict(vars(args))


# -- which config file, which profile ------------------------------------------------------
def _config_file(
    opts: Mapping[str, Any],
    environ: Mapping[str, str],
    config_path: Path | str | None,
    warnings: list[str],
) -> tuple[Path, str, ConfigFile | None]:
    """Our config file (`--config`, `$CFY_TUI_CONFIG`, else the default location),
    where that choice came from, and what it holds (None: no such file)."""
    if opts.get("config"):
        path, source, must_exist = Path(opts["config"]), f"flag {CONFIG.flag}", True
    elif environ.get(CONFIG.env):
        path, source, must_exist = Path(environ[CONFIG.env]), f"${CONFIG.env}", True
    else:
        path = default_config_path() if config_path is None else Path(config_path)
        source, must_exist = "default location", False
    path = path.expanduser()
    if path.is_file():
        config = load_config(path)
        if config.holds_secret and (warning := _permission_warning(path)):
            warnings.append(warning)
        return path, source, config
    if must_exist:
        raise ConfigError(f"config file not found ({source})", path=path, key=CONFIG.flag)
    return path, source, None


class _Profile(NamedTuple):
    """The profile in use, where that choice came from, and the layers it gives."""

    name: str | None
    source: str
    config_layer: Layer
    cfy_layer: Layer


def _selected_profile(
    opts: Mapping[str, Any], environ: Mapping[str, str], config: ConfigFile | None
) -> Value | None:
    if opts.get("profile"):
        return Value(opts["profile"], f"flag {PROFILE.flag}", key=PROFILE.flag)
    if environ.get(PROFILE.env):
        return Value(environ[PROFILE.env], f"${PROFILE.env}", key=PROFILE.env)
    if config is not None and config.default_profile is not None:
        return config.default_profile
    return None


def _profile(
    opts: Mapping[str, Any],
    environ: Mapping[str, str],
    config: ConfigFile | None,
    home: Path,
    warnings: list[str],
) -> _Profile:
    """The selected profile: ours of that name, else the `cfy` CLI's. Below a profile
    of ours, the `cfy` CLI's active profile still gives what ours does not."""
    selected = _selected_profile(opts, environ, config)
    if selected is None:
        return _active_cfy_profile(None, "default", {}, home, warnings)
    if config is not None and selected.value in config.profiles:
        own = dict(config.profiles[selected.value].values)
        return _active_cfy_profile(selected.value, selected.source, own, home, warnings)
    if not has_cfy_profile(home, selected.value):
        raise _unknown_profile(selected, config, home)
    layer = cfy_layer(*read_cfy_profile(home, selected.value))  # named: errors stop
    return _Profile(selected.value, selected.source, {}, layer)


def _active_cfy_profile(
    name: str | None, source: str, config_layer: Layer, home: Path, warnings: list[str]
) -> _Profile:
    """Profile `name` of our config file (or none) over the `cfy` CLI's active
    profile, which gives what ours does not (and names the profile when ours is none).
    Named by no one, an unreadable one is a warning: the app can start without it."""
    active = active_cfy_profile(home)
    if active is None or not has_cfy_profile(home, active[0]):
        return _Profile(name, source, config_layer, {})
    if name is None:
        name, source = active[0], f"cfy {active[1]}"
    try:
        layer = cfy_layer(*read_cfy_profile(home, active[0]))
    except ConfigError as exc:
        warnings.append(f"the active cfy CLI profile is ignored: {exc}")
        layer = {}
    return _Profile(name, source, config_layer, layer)


def _unknown_profile(selected: Value, config: ConfigFile | None, cfy_home: Path) -> ConfigError:
    ours = ", ".join(sorted(config.profiles)) if config is not None else ""
    theirs = ", ".join(cfy_profile_names(cfy_home))
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


# -- what may be used ----------------------------------------------------------------------
def _forget_the_manager(layers: list[Layer], flags: Layer) -> None:
    """`--demo`: the embedded manager with its own credentials, so no manager and no
    connection setting from anywhere, but a tenant given as a flag."""
    for layer in layers:
        for name in ("manager", *CONNECTION):
            if not (layer is flags and name == "tenant"):
                layer.pop(name, None)


def _keep_credentials_with_their_manager(layers: list[Layer], profiles: list[Layer]) -> None:
    """Checks the effective manager's URLs; a profile's connection settings go only
    to the managers that profile names."""
    manager = first(layers, "manager")
    if manager is None:
        return
    for url in manager.value:
        problem = url_problem(url)
        if problem:
            raise _value_error(manager, problem)
    for layer in profiles:
        own = layer.get("manager")
        if own is not None and not all_known(manager.value, own.value):
            for name in CONNECTION:
                layer.pop(name, None)


# -- the effective values ------------------------------------------------------------------
def _merge(layers: list[Layer]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each setting from the first layer that gives it, else its default; the
    manager's URLs split into `manager` and `cluster`; a mapping setting (`keys`)
    entry by entry."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        if setting.kind.shape == "mapping":
            continue
        found = first(layers, setting.name)
        values[setting.name] = setting.default if found is None else found.value
        sources[setting.name] = "default" if found is None else found.source
    managers = unique_urls(url.strip().rstrip("/") for url in values["manager"] or ())
    values["manager"] = managers[0] if managers else None
    values["cluster"] = managers[1:]
    sources["cluster"] = sources["manager"]
    for setting in SETTINGS:
        if setting.kind.shape == "mapping":
            values[setting.name] = _entries(layers, setting.name, sources)
            sources[setting.name] = "default"
    return values, sources


def _entries(layers: list[Layer], name: str, sources: dict[str, str]) -> dict[str, Any]:
    """A mapping setting's entries (`keys.<id>`) from every layer, the first winning."""
    entries: dict[str, Any] = {}
    for layer in reversed(layers):
        for key, found in layer.items():
            if key.startswith(name + "."):
                entries[key.removeprefix(name + ".")] = found.value
                sources[key] = found.source
    return entries


def _settle_auth(values: dict[str, Any], sources: dict[str, str], layers: list[Layer]) -> None:
    """The auth method, and the credentials of the other method left out."""
    auth = first(layers, "auth")
    token = first(layers, "token")
    if auth is None and token is not None:
        auth = Value("token", f"{token.source} gives a token")
    if auth is not None:
        values["auth"], sources["auth"] = auth.value, auth.source
    else:
        sources["auth"] = "default (no token given)"
    unused = "password" if values["auth"] == "token" else "token"
    if values[unused] is not None:
        values[unused], sources[unused] = None, f"not used ({values['auth']} auth)"
    if values["auth"] == "token" and values["username"] is not None:
        values["username"], sources["username"] = None, "not used (token auth)"


def _check_files(values: dict[str, Any], layers: list[Layer]) -> None:
    """A file setting (the CA bundle) names a file that exists; `~` expanded."""
    for setting in SETTINGS:
        if not isinstance(setting.kind, FilePath):
            continue
        found = first(layers, setting.name)
        if found is not None and not Path(found.value).expanduser().is_file():
            raise _value_error(found, f"{found.value}: no such file")
        if values[setting.name]:
            values[setting.name] = str(Path(values[setting.name]).expanduser())


def _value_error(value: Value, problem: str) -> ConfigError:
    if value.path is not None:  # our config file (with a line) or a cfy CLI profile
        return ConfigError(
            f"{value.key}: {problem}", path=value.path, line=value.line, key=value.key
        )
    if value.key and value.key.startswith("--"):  # a flag
        return ConfigError(f"{value.key} {problem}", key=value.key)
    return ConfigError(f"${value.key} {problem}", key=value.key)  # an environment variable


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
