"""Which values the details never show in clear.

A manager evaluates `get_secret` in outputs and capabilities: `/outputs` answers the
secret's value itself. The app shows such a value as hidden, naming the secret it came
from; so it does a value whose name says it is a credential (an input `db_password`,
a runtime property `private_key`), whatever its origin. A `{get_secret: key}` left
unevaluated (an input as given) is a reference, not a secret, and is shown.
"""

from __future__ import annotations

import re
from typing import Any

_SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|private[_-]?key|api[_-]?key|credential|"
    r"(^|[_-])key$",
    re.IGNORECASE,
)


def secret_name(name: str) -> bool:
    """A name that says its value is a credential."""
    return bool(_SECRET_NAME.search(name))


def secrets_used(definition: Any, inputs: dict[str, Any] | None = None) -> list[str]:
    """The secret keys a definition reads: `{get_secret: key}` anywhere in it (a key
    given as a list `[key, attribute, ...]` named by its first item), and in the value
    of each input it reads with `get_input` (an input given as `{get_secret: ...}`
    is evaluated to the secret's value in an output that reads it)."""
    found: list[str] = []
    _walk(definition, found, inputs or {}, depth=0)
    return list(dict.fromkeys(found))


def _walk(value: Any, found: list[str], inputs: dict[str, Any], depth: int) -> None:
    if depth > 50:  # server data: a deeply nested value is not walked to the end
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "get_secret":
                found.append(_secret_key(item))
            elif key == "get_input":
                name = _secret_key(item)
                if name in inputs:
                    _walk(inputs[name], found, {}, depth + 1)
            _walk(item, found, inputs, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found, inputs, depth + 1)


def _secret_key(argument: Any) -> str:
    if isinstance(argument, list) and argument:
        argument = argument[0]
    return argument if isinstance(argument, str) else "?"


def hidden_because(name: str, definition: Any = None, inputs: dict[str, Any] | None = None) -> str:
    """Why the value of `name` is hidden ("" when it may be shown); `inputs`: the
    deployment's, for the `get_input`s of `definition`."""
    used = secrets_used(definition, inputs)
    if used:
        return "from secret " + ", ".join(used)
    if secret_name(name):
        return "a credential, by its name"
    return ""


def mask(value: Any, hidden: str, depth: int = 0) -> Any:
    """A copy of `value` with the value of every credential-named key replaced by
    `hidden` (at any depth)."""
    if depth > 50:
        return hidden
    if isinstance(value, dict):
        return {
            key: hidden if secret_name(str(key)) else mask(item, hidden, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask(item, hidden, depth + 1) for item in value]
    return value
