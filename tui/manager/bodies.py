"""The real `get_json_and_verify_params` and visibility checks, for request bodies.

Every domain that takes a JSON body (secrets, saved filters) checks its keys the same
way and answers with the same messages, so the checks live here once.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

from tui.manager.errors import BadParameters, crash

VISIBILITIES = ("private", "tenant", "global")


def param(body: dict[str, Any], name: str, kind: type | None, required: bool = False) -> Any:
    """The real `get_json_and_verify_params` for one key: missing, or of a wrong type."""
    if name not in body:
        if required:
            raise BadParameters(f"Missing {name} in json request body")
        return None
    value = body[name]
    if kind is not None and not isinstance(value, kind):
        raise BadParameters(
            f"{name} parameter is expected to be of type {kind.__name__} but is of type "
            f"{type(value).__name__}"
        )
    return value


def visibility(body: dict[str, Any], valid: tuple[str, ...], required: bool = False) -> Any:
    """The body's `visibility`, one of `valid` (None when absent and not required)."""
    value = param(body, "visibility", str, required)
    if value is not None and value not in valid:
        raise BadParameters(
            f"Invalid visibility: `{value}`. Valid visibility's values are: {list(valid)}"
        )
    return value


def validate_input(name: str, value: Any, max_length: int = 256) -> None:
    """The real `validate_inputs({name: value})`: not empty, not too long, only URL-safe
    characters (letters, digits, `-`, `.`, `_`, `~`), beginning with a letter; the
    messages and their order are the real ones."""
    prefix = f"The `{name}` argument"
    if not value:
        raise BadParameters(f"{prefix} is empty")
    if not isinstance(value, str):  # the real check crashes on len() of a number
        raise crash(
            f"TypeError: object of type '{type(value).__name__}' has no len()",
            "manager_rest/rest/rest_utils.py, in validate_inputs",
        )
    if len(value) > max_length:
        raise BadParameters(
            f"{prefix} is too long. Maximum allowed length is {max_length} characters"
        )
    if quote(value, safe="") != value:
        raise BadParameters(
            f'{prefix} contains illegal characters. Only letters, digits and the characters "-",'
            ' "." and "_" are allowed'
        )
    if value[0] not in string.ascii_letters:
        raise BadParameters(f"{prefix} must begin with a letter")
