"""Every setting, declared once: a field of `Settings` made by `setting(...)`.

A declaration gives the setting's type and default (the field's), its kind (how a
value is checked, read and shown: `tui/config/kinds.py`, bounds included), its
command-line flag with its help, its environment variable, its key in a `cfy` CLI
profile, and whether it belongs to one manager. Its key in our config file is its
name. The command line (`tui/cli.py`), the config file reader, the `cfy` profile
reader, the resolution and its provenance, the settings view and the app's
defaults all read these declarations; none lists the settings again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from tui.config.kinds import (
    MASK,
    NOT_SET,
    Choice,
    FilePath,
    Keys,
    Kind,
    Seconds,
    Secret,
    Switch,
    Text,
    Urls,
    masked,
)
from tui.config.manager_urls import redacted

_METADATA_KEY = "cfy-tui setting"  # the key of a declaration in a field's metadata


class Setting(NamedTuple):
    """One setting as declared on its field of `Settings` (`name` and `default`
    are the field's). A NamedTuple: a fifth of a dataclass's import cost."""

    name: str
    default: Any
    kind: Kind
    flag: str | None = None  # as typed (`--ca-cert`); argparse's dest is `name`
    metavar: str | None = None
    help: str = ""  # the flag's help; `{env}` and `{default}` are filled in
    env: str | None = None
    cfy: str | None = None  # its key in a cfy CLI profile's context.json
    connection: bool = False  # belongs to one manager: never sent to another

    @property
    def flag_help(self) -> str:
        return self.help.format(env=self.env, default=self.default)


def setting(
    default: Any,
    kind: Kind,
    *,
    flag: str | None = None,
    metavar: str | None = None,
    help: str = "",
    env: str | None = None,
    cfy: str | None = None,
    connection: bool = False,
) -> Any:
    """A field of `Settings` that is a setting, declared as `Setting` says."""
    declared = Setting("", default, kind, flag, metavar, help, env, cfy, connection)
    metadata = {_METADATA_KEY: declared}
    if isinstance(default, dict):  # a mutable default: a fresh one each time
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


INTERVAL = Seconds(0.05, 3600)


class Selector(NamedTuple):
    """A flag and an environment variable that say where the settings come from
    (which config file, which profile) rather than being one."""

    flag: str
    env: str
    metavar: str
    help: str  # `{env}` is filled in

    @property
    def flag_help(self) -> str:
        return self.help.format(env=self.env)


CONFIG = Selector(
    "--config",
    "CFY_TUI_CONFIG",
    "PATH",
    "the config file (default: ${env} or the file named below)",
)
PROFILE = Selector(
    "--profile",
    "CFY_TUI_PROFILE",
    "NAME",
    "a profile of the config file, or else of the cfy CLI "
    "(default: ${env}, the config's default_profile, the cfy CLI's active one)",
)


@dataclass(frozen=True)
class Settings:
    """The effective settings, and the declaration of each. `repr()` masks the secrets."""

    manager: str | None = setting(
        None,
        Urls(),
        flag="--manager",
        metavar="URL",
        env="CFY_TUI_MANAGER",
        cfy="manager_ip",  # with rest_port, rest_protocol and the cluster's managers
        help="the manager to connect to, e.g. https://cfy.example.com; repeat it for the "
        "managers of a cluster, tried in order when one cannot be reached "
        "(default: ${env} or the profile's)",
    )
    # The other managers of `manager`'s cluster, in the order to try them: the URLs
    # the `manager` setting gives after its first.
    cluster: tuple[str, ...] = ()
    tenant: str = setting(
        "default_tenant",
        Text(),
        flag="--tenant",
        env="CLOUDIFY_TENANT",
        cfy="manager_tenant",
        connection=True,
        help="tenant (default: ${env}, the profile's, or {default})",
    )
    auth: str = setting("password", Choice(("password", "token")), connection=True)
    username: str | None = setting(
        None,
        Text(),
        flag="--username",
        env="CLOUDIFY_USERNAME",
        cfy="manager_username",
        connection=True,
        help="user for Basic auth (default: ${env})",
    )
    # Never a flag: command lines are visible to other users.
    password: str | None = setting(
        None, Secret(), env="CLOUDIFY_PASSWORD", cfy="manager_password", connection=True
    )
    token: str | None = setting(
        None,
        Secret(),
        flag="--token",
        env="CLOUDIFY_TOKEN",
        cfy="manager_token",
        connection=True,
        help="API token instead of a password (prefer ${env}: command lines are visible "
        "to other users)",
    )
    ca_cert: str | None = setting(
        None,
        FilePath(),
        flag="--ca-cert",
        metavar="PATH",
        cfy="rest_certificate",
        connection=True,
        help="CA bundle to verify the manager's TLS certificate",
    )
    insecure: bool = setting(
        False,
        Switch(),
        flag="--insecure",
        connection=True,
        help="do not verify TLS certificates (a warning stays on screen)",
    )
    read_only: bool = setting(
        False,
        Switch(),
        flag="--read-only",
        env="CFY_TUI_READ_ONLY",
        help="no starting or cancelling: every mutating action is removed "
        "(default: ${env} or the profile's read_only)",
    )
    fast_interval: float = setting(1.0, INTERVAL)  # between polls while something runs
    slow_interval: float = setting(5.0, INTERVAL)  # idle after a key or change (quiet: 3x)
    theme: str | None = setting(None, Text())  # a Textual theme's name
    ascii: bool = setting(
        False,
        Switch(),
        flag="--ascii",
        help="ASCII status glyphs for terminals without Unicode",
    )
    bell: bool = setting(False, Switch())  # ring the terminal bell when a watched execution ends
    open_execution: bool = setting(True, Switch())  # open the execution screen after a start
    # binding id -> keys; `setting` gives a dict a default_factory, as `field` does
    keys: dict[str, str] = setting({}, Keys())  # noqa: RUF009
    profile_name: str | None = None  # the profile they came from

    def __repr__(self) -> str:
        shown_fields = []
        for name in NAMES:
            value = getattr(self, name)
            if name in SECRETS and value is not None:
                value = MASK
            elif name == "manager" and value is not None:
                value = redacted(value)
            elif name == "cluster":
                value = tuple(redacted(url) for url in value)
            shown_fields.append(f"{name}={value!r}")
        return f"Settings({', '.join(shown_fields)})"

    @property
    def managers(self) -> tuple[str, ...]:
        """Every host to connect to: `manager`, then the rest of its cluster."""
        return (self.manager, *self.cluster) if self.manager else ()


def _declared() -> tuple[Setting, ...]:
    """The declarations of the fields of `Settings`, in their order, named."""
    return tuple(
        f.metadata[_METADATA_KEY]._replace(name=f.name)
        for f in fields(Settings)
        if _METADATA_KEY in f.metadata
    )


NAMES: tuple[str, ...] = tuple(f.name for f in fields(Settings))
SETTINGS: tuple[Setting, ...] = _declared()
DECLARED: dict[str, Setting] = {s.name: s for s in SETTINGS}
SECRETS = frozenset(s.name for s in SETTINGS if s.kind.secret)
# What belongs to one manager: never sent to another.
CONNECTION = frozenset(s.name for s in SETTINGS if s.connection)
# Every environment variable the settings are read from.
ENVIRONMENT: tuple[str, ...] = (*(s.env for s in SETTINGS if s.env), PROFILE.env, CONFIG.env)
# The settings when nothing gives any: the app's defaults too.
DEFAULTS = Settings()


def shown(name: str, value: Any) -> str:
    """A setting's value as shown to the user (secrets masked)."""
    kind = DECLARED[name].kind if name in DECLARED else Kind()
    if kind.secret:
        return masked(value)
    if value is None or value == "":
        return NOT_SET
    return kind.show(value)
