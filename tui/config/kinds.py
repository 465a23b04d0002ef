"""Kinds of setting values: how each is checked in our config file, read from the
environment and the command line, and shown.

A setting's declaration (`tui/config/settings.py`) names its kind; every rule about
a kind lives here once, so two settings of one kind cannot drift apart (the two
intervals share their bounds check; the two secrets are masked alike).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from tui.config.errors import ConfigError
from tui.config.manager_urls import redacted, unique_urls, url_has_password, url_list, url_problem

MASK = "********"
NOT_SET = "(not set)"
# What our config file holds for a setting: one value, one value or a list of them,
# or a mapping of names to values.
Shape = Literal["scalar", "list", "mapping"]
# How argparse takes a flag: store a value, append each one, or a switch with its
# --no- form.
FlagAction = Literal["store", "append", "switch"]
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class Problem(ValueError):
    """A value that a kind refuses. The config file reader adds where it was."""


def masked(value: Any) -> str:
    """How a secret is shown: whether it is set, never what it is nor how long."""
    return MASK if value else NOT_SET


class Kind:
    """The base kind: a value taken as it is given.

    Kinds are plain classes, not dataclasses: making a dataclass costs about 0.3 ms
    at import, and every start of the app imports these."""

    shape: ClassVar[Shape] = "scalar"
    flag_action: ClassVar[FlagAction] = "store"
    secret: ClassVar[bool] = False

    def check(self, value: Any, base: Path) -> Any:
        """A value of our config file, normalised; `base` is the file's directory.
        Raises Problem."""
        if value is None:
            raise Problem("no value given (remove the key to use the default)")
        return self.checked(value, base)

    def checked(self, value: Any, base: Path) -> Any:
        """`check` of a value that is there; raises Problem."""
        return value

    def all_of(self, values: list[Any]) -> Any:
        """The value of a kind that takes a list, from its checked items."""
        return tuple(values)

    def from_env(self, raw: str, var: str) -> Any:
        """The value of environment variable `var`; None when it gives none."""
        return raw or None

    def from_flag(self, value: Any) -> Any:
        """The value of a flag as argparse gives it; None when it gives none."""
        return None if value == "" else value

    def holds_secret(self, value: Any) -> bool:
        """Whether a file holding `value` must be private."""
        return self.secret

    def show(self, value: Any) -> str:
        """A set value as shown to the user."""
        return str(value)


class Text(Kind):
    """A non-empty string; surrounding blanks dropped."""

    def checked(self, value: Any, base: Path) -> Any:
        return _string(value, echo=True).strip()


class Secret(Kind):
    """A password or token: kept exactly as given, never shown nor echoed in an error."""

    secret: ClassVar[bool] = True

    def checked(self, value: Any, base: Path) -> Any:
        return _string(value, echo=False)

    def show(self, value: Any) -> str:
        return masked(value)


class FilePath(Kind):
    """A file; in our config file, relative to the file's directory, `~` expanded."""

    def checked(self, value: Any, base: Path) -> Any:
        path = Path(_string(value, echo=True)).expanduser()
        return str(path if path.is_absolute() else (base / path))


class Choice(Kind):
    """One of a few words."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words

    def checked(self, value: Any, base: Path) -> Any:
        if _string(value, echo=True) not in self.words:
            raise Problem(f"expected {' or '.join(self.words)}, got {value!r}")
        return value.strip()


class Switch(Kind):
    """On or off: `--x` / `--no-x`, `true` / `false`, 1/true/yes/on or 0/false/no/off."""

    flag_action: ClassVar[FlagAction] = "switch"

    def checked(self, value: Any, base: Path) -> Any:
        if not isinstance(value, bool):
            raise Problem(f"expected true or false, got {value!r}")
        return value

    def from_env(self, raw: str, var: str) -> Any:
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"${var} must be 1/true/yes/on or 0/false/no/off, got {raw!r}", key=var)

    def show(self, value: Any) -> str:
        return "yes" if value else "no"


class Seconds(Kind):
    """A number of seconds within bounds."""

    def __init__(self, least: float, most: float) -> None:
        self.least = least
        self.most = most

    def checked(self, value: Any, base: Path) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Problem(f"expected a number of seconds, got {value!r}")
        if not self.least <= value <= self.most:
            raise Problem(f"expected {self.least:g} to {self.most:g} seconds, got {value!r}")
        return float(value)

    def show(self, value: Any) -> str:
        return f"{value:g} s"


class Urls(Kind):
    """Manager URLs: one, or the managers of a cluster in the order to try them. A
    list in our config file, `--manager` repeated, commas in the environment."""

    shape: ClassVar[Shape] = "list"
    flag_action: ClassVar[FlagAction] = "append"

    def checked(self, value: Any, base: Path) -> Any:
        """One URL of the list."""
        url = _string(value, echo=True)
        problem = url_problem(url)
        if problem:
            raise Problem(problem)
        return url.strip().rstrip("/")

    def all_of(self, values: list[Any]) -> Any:
        """The checked URLs of a list, each manager once."""
        if not values:
            raise Problem("expected at least one URL")
        return unique_urls(values)

    def from_env(self, raw: str, var: str) -> Any:
        return url_list(raw.split(",")) or None

    def from_flag(self, value: Any) -> Any:
        return url_list(value) or None

    def holds_secret(self, value: Any) -> bool:
        return any(map(url_has_password, value))

    def show(self, value: Any) -> str:
        return ", ".join(redacted(url.strip()) for url in str(value).split(","))


class Keys(Kind):
    """Key overrides: binding id -> keys (`ctrl+s`, or several: `f5,ctrl+s`)."""

    shape: ClassVar[Shape] = "mapping"

    def check(self, value: Any, base: Path) -> Any:
        """The keys of one binding id."""
        if not isinstance(value, str) or not value.strip():
            raise Problem(f'expected keys such as "ctrl+s" or "f5,ctrl+s", got {value!r}')
        return value.strip()


def _string(value: Any, *, echo: bool) -> str:
    if not isinstance(value, str):
        got = f"{_type_name(value)} {value!r}" if echo else "a value"
        raise Problem(f"expected a string, got {got} (quote it)")
    if not value.strip():
        raise Problem("expected a non-empty string")
    return value


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number"}.get(type(value), "a value")
