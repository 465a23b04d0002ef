"""The JSON schema a secret may carry: its `type` keyword, checked as the real manager
checks it with `jsonschema` (Draft 2020-12, jsonschema 4.21), with the same messages.

`cfy secrets create --secret-schema` and the CLI's dict and list flags only ever
send a `type`. Other validation keywords would need a JSON Schema implementation
this package does not depend on; a schema using them is refused with a
`bad_parameters_error` that says so, rather than accepted and not enforced.
Annotations that validate nothing (`title`, `description`, ...) are accepted.
"""

from __future__ import annotations

import numbers
from pprint import pformat
from typing import Any

from tui.manager.errors import BadParameters, Conflict

SIMPLE_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "examples"}
# The part of the 2020-12 metaschema a bad `type` fails, as jsonschema prints it.
_TYPE_METASCHEMA = {
    "anyOf": [
        {"$ref": "#/$defs/simpleTypes"},
        {
            "type": "array",
            "items": {"$ref": "#/$defs/simpleTypes"},
            "minItems": 1,
            "uniqueItems": True,
        },
    ]
}


def _pretty(value: Any) -> str:
    """A value as jsonschema's error text shows it: `pformat`, continuation lines
    indented under the first."""
    return pformat(value, width=72).replace("\n", "\n    ")


def _valid_type(kind: Any) -> bool:
    if isinstance(kind, str):
        return kind in SIMPLE_TYPES
    if isinstance(kind, list):
        return (
            bool(kind)
            and all(isinstance(k, str) and k in SIMPLE_TYPES for k in kind)
            and len(set(kind)) == len(kind)
        )
    return False


def check_schema(schema: dict[str, Any]) -> None:
    """Refuse a schema the real manager refuses (400, its message) or that this
    manager cannot enforce (400, saying so)."""
    if "type" in schema and not _valid_type(schema["type"]):
        kind = schema["type"]
        raise BadParameters(
            f"Invalid secret JSON schema {schema}: {kind!r} is not valid under any of the "
            "given schemas\n\nFailed validating 'anyOf' in "
            "metaschema['allOf'][3]['properties']['type']:\n    "
            f"{_pretty(_TYPE_METASCHEMA)}\n\nOn schema['type']:\n    {_pretty(kind)}"
        )
    unsupported = sorted(set(schema) - ANNOTATIONS - {"type"})
    if unsupported:
        raise BadParameters(
            "Secret JSON schemas may only use the `type` keyword on this manager; "
            f"not supported: {', '.join(unsupported)}"
        )


def _is_type(value: Any, kind: str) -> bool:
    """jsonschema's type checker: booleans are no numbers, 1.0 is an integer."""
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "object":
        return isinstance(value, dict)
    if kind == "string":
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return True  # number


def validate(value: Any, schema: dict[str, Any]) -> None:
    """Raise the real 409 when `value` does not have the schema's type."""
    if "type" not in schema:
        return
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if any(_is_type(value, kind) for kind in kinds):
        return
    raise Conflict(
        f"Error validating secret value: {value!r} is not of type "
        f"{', '.join(repr(kind) for kind in kinds)}\n\nFailed validating 'type' in schema:"
        f"\n    {_pretty(schema)}\n\nOn instance:\n    {_pretty(value)}"
    )
