"""Execution parameters: merge with the declared defaults and validate, as the real
manager does (`Execution.merge_workflow_parameters` and `_convert_param_type`).

Order of checks: unknown keys, defaults, evaluation of intrinsic functions (see
`functions.py`), type coercion, constraints and object types, then mandatory
parameters. Messages are the real ones, word for word.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tui.manager.errors import IllegalExecutionParameters, crash

# The parameter types checked against `DeploymentFacts` (its `values`).
OBJECT_TYPES = (
    "node_id",
    "node_type",
    "node_instance",
    "operation_name",
    "deployment_id",
    "blueprint_id",
    "scaling_group",
)


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


def _convert(value: Any, kind: str | None, item_type: str | None) -> Any:
    """`_convert_param_type`, operation for operation: a `ValueError` is a type
    mismatch, any other exception is a crash of the real server (HTTP 500).

    So `"3"` and `2.7` become 3 for an integer, a string given for a list becomes
    the list of its characters and a dict the list of its keys (each converted to
    the item type), `null` for an integer is a `TypeError` and a number for a boolean
    an `AttributeError`; `dict` and every other type are passed through (all probed
    on 7.0.4).
    """
    if kind == "list":
        return [_convert(item, item_type, None) for item in value]
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value.lower() == "true":
            return True
        if value.lower() == "false":
            return False
        raise ValueError(value)
    if kind == "float":
        return float(value)
    if kind == "string":
        if isinstance(value, str):
            return value
        raise ValueError(value)
    return value


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
    evaluate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the parameters to store, or raise the real validation error.

    `evaluate` replaces intrinsic function calls by their values; it runs after the
    defaults are filled in and before any type check, as on the real manager, so
    the checks (and the stored parameters) see what the functions return.
    """
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
    if evaluate is not None:
        merged = evaluate(merged)
    _coerce(declared, merged)
    _check_values(declared, merged, facts)
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


def _coerce(declared: dict[str, Any], merged: dict[str, Any]) -> None:
    """Convert each typed parameter in place; every mismatch is reported at once."""
    mismatches: list[str] = []
    for name, spec in declared.items():
        kind = spec.get("type")
        if kind is None or name not in merged:
            continue
        item_type = spec.get("item_type")
        try:
            merged[name] = _convert(merged[name], kind, item_type)
        except ValueError:
            shown = f"{kind} of {item_type}s" if item_type else kind
            mismatches.append(f'Parameter "{name}" must be of type {shown}')
        except Exception as exc:  # what the real server trips on: a 500
            raise crash(
                f"{type(exc).__name__}: {exc}",
                "manager_rest/storage/resource_models.py, in _convert_param_type",
            ) from None
    if mismatches:
        raise IllegalExecutionParameters("\n".join(mismatches))


def _check_values(
    declared: dict[str, Any], merged: dict[str, Any], facts: DeploymentFacts | None
) -> None:
    """Constraints, then object types (a node id must name a node, ...): the first
    parameter that fails is reported."""
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
