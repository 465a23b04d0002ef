"""Intrinsic functions in execution parameters (`{get_secret: key}`, `concat`, ...),
evaluated as the real manager evaluates them when an execution starts.

What the real 7.0.4 does (its `evaluate_workflow_parameters` and dsl_parser's runtime
evaluation; every point below was probed on it):

- After filling in declared defaults and before any type check, every parameter
  whose value is a list or a dict (given or default, declared or custom) is
  evaluated; strings and numbers are left alone. The type check then sees what the
  functions return: `{get_secret: n}` holding "42" passes as an integer and is
  stored as 42.
- The stored `parameters` of the execution hold the evaluated values, never the
  calls: a secret read this way is visible to everyone who may read the execution.
- A call is a mapping of one function name to its arguments, optionally with a
  `type` key beside it; anything else is plain data, evaluated inside. Arguments
  are evaluated before the call, and a call's result is evaluated again until it
  is no call.
- A secret is read as the execution's creator reads it from the execution's
  tenant: a hidden value is read all the same, someone else's private secret is
  not found. A missing secret refuses the start with the real 404
  (``Requested `Secret` with ID `x` was not found``) and nothing is stored.
- Errors keep their real codes: `functions_evaluation_error` (400) for what the
  functions report, `not_found_error` (404) for a missing secret, and a 500 where
  the real code crashes (an unknown input, malformed arguments).

Functions that read node instances, node properties or other deployments'
capabilities (`get_attribute`, `get_property`, `get_capability`, ...) are not
evaluated by this manager: a start that calls one is refused with a
`bad_parameters_error` saying so, rather than run with a wrong value.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.manager import secrets
from tui.manager.columns import loads
from tui.manager.errors import BadParameters, FunctionsEvaluation, ManagerError, crash
from tui.manager.labels import labels_of
from tui.manager.services import Services
from tui.manager.store import marks

PATH_PREFIX = "payload"  # dsl_parser's path of what it evaluates, as its messages show
RECURSION_LIMIT = 50
# Every function dsl_parser registers (cloudify-common 7.0.4, `@register`).
FUNCTION_NAMES = frozenset(
    {
        "concat",
        "get_attribute",
        "get_attributes_dict",
        "get_attributes_list",
        "get_capability",
        "get_consumers",
        "get_environment_capability",
        "get_group_capability",
        "get_input",
        "get_label",
        "get_property",
        "get_secret",
        "get_sys",
        "merge",
        "string_find",
        "string_lower",
        "string_replace",
        "string_split",
        "string_upper",
    }
)
DSL_EXCEPTIONS = "dsl_parser.exceptions."
WHERE = "dsl_parser/functions.py"


@dataclass(frozen=True)
class Call:
    name: str
    args: Any
    return_type: Any


def call_of(value: Any) -> Call | None:
    """dsl_parser's `get_function`: a dict of one registered name (the last one, if two
    are given) and at most a `type` key beside it."""
    if not isinstance(value, dict) or not 0 < len(value) < 3:
        return None
    found = None
    for key, args in value.items():
        if key == "type":
            continue
        if key not in FUNCTION_NAMES:
            return None
        found = Call(key, args, value.get("type"))
    return found


def _validation_crash(text: str) -> ManagerError:
    return crash(f"{DSL_EXCEPTIONS}FunctionValidationError: Unable to validate {text}", WHERE)


def _evaluation_error(function: str, text: str) -> FunctionsEvaluation:
    """dsl_parser's `FunctionEvaluationError(name, message)` as the manager passes it on."""
    return FunctionsEvaluation(f"Unable to evaluate {function} function: {text}")


def _python_path(items: list[Any]) -> str:
    """`obj1.attr1[7].attr2`, as dsl_parser names a place inside an input."""
    text = str(items[0])
    for item in items[1:]:
        text += f"[{item}]" if isinstance(item, int) else f".{item}"
    return text


def _path_items(args: list[Any]) -> bool:
    return all(call_of(x) or isinstance(x, (str, int)) for x in args)


def _matches(value: Any, kind: Any) -> bool:
    """dsl_parser's `parse_simple_type_value` verdict, for a `type` beside `get_input`."""
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in (
        "string",
        "textarea",
        "deployment_id",
        "blueprint_id",
        "node_id",
        "node_type",
        "node_instance",
        "capability_value",
        "scaling_group",
        "secret_key",
        "operation_name",
    ):
        return True
    if kind == "regex":
        if not isinstance(value, str):
            return False
        try:
            re.compile(value)
        except re.error:
            return False
        return True
    if kind == "list":
        return isinstance(value, (list, tuple))
    if kind == "dict":
        return isinstance(value, dict)
    return False


class Evaluator:
    """Evaluates the parameters of one execution start; remembers which of them read
    a secret, so that the engine can keep those values out of the log it writes."""

    def __init__(
        self, services: Services, tenant: str, deployment: sqlite3.Row, username: str
    ) -> None:
        self.services = services
        self.tenant = tenant
        self.deployment = deployment
        self.username = username
        self.secret_parameters: set[str] = set()
        self._read_secret = False
        self._depth = 0
        self._functions: dict[str, Callable[[Call, dict[str, Any], str], Any]] = {
            "get_secret": self._get_secret,
            "get_input": self._get_input,
            "get_sys": self._get_sys,
            "get_label": self._get_label,
            "get_consumers": self._get_consumers,
            "concat": self._concat,
            "merge": self._merge,
            "string_find": self._string_find,
            "string_replace": self._string_replace,
            "string_split": self._string_split,
            "string_lower": self._string_case,
            "string_upper": self._string_case,
        }

    def parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """The parameters with every call replaced by its value."""
        result = dict(parameters)
        for name, value in parameters.items():
            if isinstance(value, (list, dict)):
                self._read_secret = False
                result[name] = self._value(value, f"{PATH_PREFIX}.{name}")
                if self._read_secret:
                    self.secret_parameters.add(name)
        return result

    # -- the walk ---------------------------------------------------------------------------

    def _recursion_crash(self, path: str) -> ManagerError:
        return crash(
            f"{DSL_EXCEPTIONS}EvaluationRecursionLimitReached: The recursion limit "
            f"({RECURSION_LIMIT}) has been reached while evaluating the deployment. Limit "
            f"was reached with the following path - {path}",
            WHERE,
        )

    def _value(self, value: Any, path: str) -> Any:
        self._depth += 1
        try:
            if self._depth > RECURSION_LIMIT:
                raise self._recursion_crash(path)
            current = value
            evaluated = False
            for _ in range(RECURSION_LIMIT):
                current = self._inside(current, path)
                call = call_of(current)
                if call is None:
                    return current
                previous = current
                current = self._call(call, current, path)
                if evaluated and previous == current:
                    return current
                evaluated = True
            raise self._recursion_crash(path)
        finally:
            self._depth -= 1

    def _inside(self, value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return {k: self._value(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def _call(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        function = self._functions.get(call.name)
        if function is None:
            raise BadParameters(
                f"The intrinsic function `{call.name}` ({path}) is not evaluated by this "
                "manager; it does not keep node instances, node properties or capabilities"
            )
        return function(call, raw, path)

    # -- the functions ----------------------------------------------------------------------

    def _secret(self, key: Any) -> str:
        self._read_secret = True
        return secrets.value_for_function(self.services, self.tenant, self.username, key)

    def _get_secret(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        if not (
            (isinstance(args, list) and len(args) > 1) or isinstance(args, str) or call_of(args)
        ):
            raise _validation_crash(
                "`get_secret` function argument should be a list with at least 2 elements, a "
                f"string, or a dict (a function). Instead it is a {type(args)} with the value: "
                f"{args}. function"
            )
        if not isinstance(args, list):
            return self._secret(args)
        name = args[0]
        try:
            value = json.loads(self._secret(name))
        except ValueError as err:
            raise FunctionsEvaluation(
                f'Unable to evaluate Could not parse secret "{name}" as json. Error was: {err} '
                "function"
            ) from None
        for key in args[1:]:
            try:
                value = value[key]
            except (KeyError, TypeError, IndexError) as err:
                raise FunctionsEvaluation(
                    f'Unable to evaluate Could not find "{key}" in nested lookup on secret '
                    f'"{name}". Error was: {err} function'
                ) from None
        return value

    def _input(self, name: Any) -> Any:
        inputs = loads(self.deployment["inputs"], {})
        if not inputs:  # the real check is `not deployment.inputs`: {} included
            raise FunctionsEvaluation(
                f"Inputs are not yet evaluated for deployment `{self.deployment['id']}`"
            )
        try:
            return inputs[name]
        except (KeyError, TypeError) as exc:
            raise crash(
                f"{type(exc).__name__}: {exc}", "manager_rest/dsl_functions.py, in get_input"
            ) from None

    def _get_input(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        is_path = isinstance(args, list) and len(args) >= 1 and _path_items(args)
        if not isinstance(args, str) and not call_of(args) and not is_path:
            raise crash(
                "ValueError: Illegal argument(s) passed to get_input function. Expected either "
                "a string, or a function, or a list [input_name\\function [, key1\\index1"
                f"\\function [,...]]] but got {args}",
                WHERE,
            )
        unresolved = call_of(args) or (isinstance(args, list) and any(map(call_of, args)))
        if unresolved:
            raise FunctionsEvaluation(
                f"Unable to evaluate get_input: found an unresolved argument: {args} function"
            )
        if isinstance(args, list):
            value = self._input_attribute(args, self._input(args[0]))
        else:
            value = self._input(args)
        if call.return_type and not _matches(value, call.return_type):
            raise crash(
                f"{DSL_EXCEPTIONS}InputEvaluationError: Value '{value}' of input '{args}' does "
                f"not match data type declared for '{path}': '{call.return_type}'.",
                WHERE,
            )
        return value

    def _input_attribute(self, args: list[Any], root: Any) -> Any:
        value = root
        for index, attr in enumerate(args[1:]):
            where = _python_path(args[: index + 1])
            if isinstance(value, dict):
                if attr not in value:
                    raise crash(
                        f"{DSL_EXCEPTIONS}InputEvaluationError: Input attribute '{attr}' of "
                        f"'{where}', doesn't exist.",
                        WHERE,
                    )
                value = value[attr]
            elif isinstance(value, list):
                try:
                    value = value[attr]
                except TypeError:
                    shown = ", ".join(str(item) for item in args)
                    raise crash(
                        f"{DSL_EXCEPTIONS}InputEvaluationError: Item in index {index} in the "
                        f"get_input arguments list [{shown}] is expected to be an int but got "
                        f"{type(attr).__name__}.",
                        WHERE,
                    ) from None
                except IndexError:
                    raise crash(
                        f"{DSL_EXCEPTIONS}InputEvaluationError: List size of '{where}' is "
                        f"{len(value)} but index {attr} is retrieved.",
                        WHERE,
                    ) from None
            else:
                raise _evaluation_error("get_input", f"Object {where} has no attribute {attr}")
        return value

    def _get_sys(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        if not (isinstance(args, list) and len(args) >= 2 and _path_items(args)):
            raise crash(
                "ValueError: Illegal argument(s) passed to get_sys function. Expected a "
                "2-element list identifying an entity and its requested property (e.g. "
                f"[tenant, name] or [deployment, id]) but got {args}",
                WHERE,
            )
        dep = self.deployment
        values = {
            ("tenant", "name"): dep["tenant"],
            ("deployment", "blueprint"): dep["blueprint_id"],
            ("deployment", "id"): dep["id"],
            ("deployment", "name"): dep["display_name"],
            ("deployment", "owner"): dep["created_by"],
        }
        entity, prop = args[0], args[1]
        try:
            return values[(entity, prop)]
        except (KeyError, TypeError):
            raise FunctionsEvaluation(
                f"Cannot retrieve this entity-property pair: {entity}-{prop}"
            ) from None

    def _label_rows(self) -> list[dict[str, Any]]:
        pk = self.deployment["pk"]
        return labels_of(self.services.store, [pk])[pk]

    def _labels(self, key: Any) -> list[Any]:
        """The distinct values of the deployment's label `key`, oldest first."""
        labels = sorted(
            (label for label in self._label_rows() if label["key"] == key),
            key=lambda label: (label.get("created_at") or "", str(label["value"])),
        )
        values: list[Any] = []
        for label in labels:
            if label["value"] not in values:
                values.append(label["value"])
        return values

    def _get_label(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        index = None
        if isinstance(args, list) and len(args) == 2:
            if not (isinstance(args[0], str) or call_of(args[0])):
                raise _validation_crash(
                    "`get_label` function: the <label-key> should be a string or a dict (a "
                    f"function). Instead, it is a {type(args[0])} with the value: {args[0]}."
                )
            if not isinstance(args[1], int):
                if not isinstance(args[1], str):
                    raise crash(
                        f"AttributeError: '{type(args[1]).__name__}' object has no attribute "
                        "'isdigit'",
                        WHERE,
                    )
                if not args[1].isdigit():
                    raise _validation_crash(
                        "`get_label` function: the <label-values list index> should be a "
                        f"number (in string or int form). Instead, it is a {type(args[1])} with "
                        f"the value: {args[1]}."
                    )
            key, index = args[0], int(args[1])
        elif isinstance(args, str) or call_of(args):
            key = args
        else:
            raise _validation_crash(
                "`get_label` function: `get_label` function argument should be a list of 2 "
                "elements ([<label-key>, <label-values list index>]), a string (<label-key>), "
                f"or a dict (a function). Instead, it is a {type(args)} with the value: {args}."
            )
        values = self._labels(key)
        if not values:
            raise FunctionsEvaluation(
                f"The deployment `{self.deployment['id']}` does not have a label with the key "
                f"`{key}` assigned to it"
            )
        if index is None:
            return values
        if index > len(values) - 1:
            raise FunctionsEvaluation(
                "The provided label-values list index is out of range. The key "
                f"`{key}` has {len(values)} values"
            )
        return values[index]

    def _get_consumers(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        prop = call.args
        if not (isinstance(prop, str) and prop in ("ids", "names", "count")):
            raise crash(
                "ValueError: Illegal argument passed to get_consumers function. Expected a "
                f"property string (one of: ids, names, count), but got {prop}",
                WHERE,
            )
        ids = [label["value"] for label in self._label_rows() if label["key"] == "csys-consumer-id"]
        if prop == "ids":
            return ids
        if prop == "count":
            return len(ids)
        if not ids:
            return []
        rows = self.services.store.all(
            f"SELECT display_name FROM deployments WHERE tenant = ? AND id IN "
            f"({marks(ids)}) ORDER BY created_at, pk",
            (self.tenant, *ids),
        )
        return [r["display_name"] for r in rows]

    def _concat(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        if not isinstance(call.args, list):
            raise crash(
                "ValueError: Illegal arguments passed to concat function. Expected: "
                f"[arg1\\function1, arg2\\function2, ...]but got: {call.args}.",
                WHERE,
            )
        if any(map(call_of, call.args)):
            return raw  # an argument that is still a call: left as it is
        return "".join(str(item) for item in call.args)

    def _merge(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        if not isinstance(call.args, list):
            raise crash(
                "ValueError: Illegal arguments passed to merge function. Expected: "
                f"[arg1\\function1, arg2\\function2, ...]but got: {call.args}.",
                WHERE,
            )
        if any(map(call_of, call.args)):
            return raw
        merged: dict[Any, Any] = {}
        for item in call.args:
            try:
                merged.update(item)
            except (TypeError, ValueError) as exc:  # what `dict.update` says, as a 500
                raise crash(f"{type(exc).__name__}: {exc}", WHERE) from None
        return merged

    @staticmethod
    def _string_argument(function: str, name: str, value: Any, kind: type = str) -> None:
        """dsl_parser's `_validate_argument`, at evaluation time."""
        if call_of(value):
            raise _evaluation_error(
                function, f"argument `{name}` should not be a function ({value})"
            )
        if not isinstance(value, kind):
            raise _evaluation_error(
                function,
                f"argument `{name}` should be of type {kind} but is {type(value)} ({value})",
            )

    def _string_find(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        if not isinstance(args, list) or len(args) != 2:
            raise _validation_crash(
                "string_find function: should be called with exactly two parameters"
            )
        haystack, needle = args
        self._string_argument("string_find", "haystack", haystack)
        self._string_argument("string_find", "needle", needle)
        return haystack.find(needle)

    def _string_replace(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        if not isinstance(args, list) or not 3 <= len(args) <= 4:
            raise _validation_crash(
                "string_replace function: should be called with three or four parameters"
            )
        haystack, needle, replacement = args[:3]
        for name, value in (
            ("haystack", haystack),
            ("needle", needle),
            ("replacement", replacement),
        ):
            self._string_argument("string_replace", name, value)
        if len(args) > 3 and args[3] is not None:
            self._string_argument("string_replace", "count", args[3], int)
            return haystack.replace(needle, replacement, args[3])
        return haystack.replace(needle, replacement)

    def _string_split(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = call.args
        if not isinstance(args, list) or not 2 <= len(args) <= 3:
            raise _validation_crash(
                "string_split function: should be called with two or three parameters"
            )
        text, separator = args[0], args[1]
        index = args[2] if len(args) == 3 else None
        self._string_argument("string_split", "input", text)
        self._string_argument("string_split", "separator", separator)
        if index:
            self._string_argument("string_split", "index", index, int)
        parts = text.split(separator)
        if index is None:
            return parts
        try:
            return parts[index]
        except (IndexError, TypeError) as exc:
            raise crash(f"{type(exc).__name__}: {exc}", WHERE) from None

    def _string_case(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        text = call.args
        if not (isinstance(text, str) or (isinstance(text, dict) and len(text) == 1)):
            raise _validation_crash(
                f"{call.name} function: should be called with exactly one parameter"
            )
        self._string_argument(call.name, "input", text)
        return text.lower() if call.name == "string_lower" else text.upper()
