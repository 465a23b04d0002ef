"""Execution parameters: merge with the declared defaults and validate, as the real
manager does (`Execution.merge_workflow_parameters` and `_convert_param_type`).

Order of checks: unknown keys, defaults, type coercion, constraints and object
types, then mandatory parameters. Messages are the real ones, word for word.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tui.manager.errors import IllegalExecutionParameters, InternalError

OBJECT_TYPES = {
    "blueprint_id",
    "deployment_id",
    "capability_value",
    "scaling_group",
    "node_id",
    "node_type",
    "node_instance",
    "secret_key",
    "operation_name",
}


class DeploymentFacts:
    """What object-typed parameters are checked against."""

    def __init__(
        self,
        node_ids: set[str],
        node_types: set[str],
        node_instance_ids: set[str],
        operations: set[str],
        deployment_ids: set[str],
        blueprint_ids: set[str],
        scaling_groups: set[str],
    ) -> None:
        self.values = {
            "node_id": node_ids,
            "node_type": node_types,
            "node_instance": node_instance_ids,
            "operation_name": operations,
            "deployment_id": deployment_ids,
            "blueprint_id": blueprint_ids,
            "scaling_group": scaling_groups,
        }


def _convert(name: str, spec: dict[str, Any], value: Any) -> Any:
    kind = spec.get("type")
    if kind == "integer":
        if value is None:
            # The real server crashes here with a TypeError (HTTP 500).
            raise InternalError(
                "Internal error occurred in manager REST server - TypeError: int() argument "
                "must be a string, a bytes-like object or a real number, not 'NoneType'",
                traceback="Traceback (most recent call last):\n  File "
                '"manager_rest/storage/resource_models.py", in _convert_param_type\n'
                "TypeError: int() argument must be a string, a bytes-like object or a real "
                "number, not 'NoneType'\n",
            )
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _TypeMismatch(f'Parameter "{name}" must be of type integer') from None
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _TypeMismatch(f'Parameter "{name}" must be of type float') from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            # The real server calls .lower() on it: AttributeError, HTTP 500.
            raise InternalError(
                "Internal error occurred in manager REST server - AttributeError: "
                f"'{type(value).__name__}' object has no attribute 'lower'",
                traceback="Traceback (most recent call last):\n  File "
                '"manager_rest/storage/resource_models.py", in _convert_param_type\n'
                f"AttributeError: '{type(value).__name__}' object has no attribute 'lower'\n",
            )
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _TypeMismatch(f'Parameter "{name}" must be of type boolean')
    if kind == "string":
        if not isinstance(value, str):
            raise _TypeMismatch(f'Parameter "{name}" must be of type string')
        return value
    if kind == "list":
        if not isinstance(value, list):
            item = spec.get("item_type")
            suffix = f"list of {item}s" if item else "list"
            raise _TypeMismatch(f'Parameter "{name}" must be of type {suffix}')
        item_type = spec.get("item_type")
        if item_type in ("integer", "float", "boolean", "string"):
            try:
                return [_convert(name, {"type": item_type}, v) for v in value]
            except _TypeMismatch:
                raise _TypeMismatch(
                    f'Parameter "{name}" must be of type list of {item_type}s'
                ) from None
        return value
    if kind == "dict" and not isinstance(value, dict):
        raise _TypeMismatch(f'Parameter "{name}" must be of type dict')
    return value


class _TypeMismatch(Exception):
    pass


def _check_constraints(name: str, spec: dict[str, Any], value: Any) -> str | None:
    for constraint in spec.get("constraints") or []:
        if not isinstance(constraint, dict):
            continue
        for op, arg in constraint.items():
            ok = True
            if op == "valid_values":
                ok = value in arg
            elif op == "equal":
                ok = value == arg
            elif op == "greater_than":
                ok = value > arg
            elif op == "greater_or_equal":
                ok = value >= arg
            elif op == "less_than":
                ok = value < arg
            elif op == "less_or_equal":
                ok = value <= arg
            elif op == "in_range":
                ok = arg[0] <= value <= arg[1]
            elif op == "length":
                ok = len(value) == arg
            elif op == "min_length":
                ok = len(value) >= arg
            elif op == "max_length":
                ok = len(value) <= arg
            elif op == "pattern":
                ok = isinstance(value, str) and re.fullmatch(str(arg), value) is not None
            if not ok:
                return (
                    f'Parameter "{name}" does not meet its constraints: '
                    f"Value {value!r} of '{name}' violates constraint {op}({arg!r})."
                )
    return None


def merge_parameters(
    workflow_name: str,
    declared: dict[str, Any],
    given: dict[str, Any] | None,
    allow_custom: bool,
    facts: DeploymentFacts | None,
) -> dict[str, Any]:
    """Return the parameters to store, or raise the real validation error."""
    given = dict(given or {})
    unknown = [k for k in given if k not in declared]
    if unknown and not allow_custom:
        raise IllegalExecutionParameters(
            f'Workflow "{workflow_name}" does not have the following parameters declared: '
            f"{','.join(unknown)}. Remove these parameters or use the flag for allowing "
            "custom parameters"
        )
    merged = dict(given)
    for name, spec in declared.items():
        if name not in merged and "default" in spec:
            merged[name] = copy.deepcopy(spec["default"])

    mismatches: list[str] = []
    for name, spec in declared.items():
        if name not in merged:
            continue
        try:
            merged[name] = _convert(name, spec, merged[name])
        except _TypeMismatch as exc:
            mismatches.append(str(exc))
    if mismatches:
        raise IllegalExecutionParameters("\n".join(mismatches))

    for name, spec in declared.items():
        if name not in merged:
            continue
        problem = _check_constraints(name, spec, merged[name])
        kind = spec.get("type")
        if problem is None and facts is not None and kind in facts.values:
            value = merged[name]
            if value not in facts.values[kind]:
                problem = (
                    f'Parameter "{name}" does not meet its constraints: Value '
                    f"'{value}' of '{name}' is not a valid value for data type '{kind}'."
                )
        if problem:
            raise IllegalExecutionParameters(problem)

    missing = [
        name
        for name, spec in declared.items()
        if name not in merged and "default" not in spec and spec.get("required", True) is not False
    ]
    if missing:
        raise IllegalExecutionParameters(
            f'Workflow "{workflow_name}" must be provided with the following parameters to '
            f"execute: {','.join(missing)}"
        )
    return merged
