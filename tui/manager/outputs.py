"""A deployment's outputs and capabilities, evaluated as the real 7.0.4 evaluates them
for `GET /deployments/<id>/outputs` and `/capabilities` (`manager_rest/dsl_functions.py`
and dsl_parser's `evaluate_outputs` / `evaluate_capabilities`).

On top of the functions execution parameters may call (`functions.Evaluator`):

- `get_attribute: [node, attribute, nested...]` reads the node's only instance: its
  runtime properties first, then `node_instance_id` / `node_instance_index`, then the
  node's properties; a path found nowhere is null. A node with no instance, or with
  more than one (no scaling group or relationship can choose one at deployment
  level), cannot be read: in an output the value becomes the text
  `<ERROR: Unable to evaluate get_attribute function: ...>` and the others are still
  answered, in a capability the whole request is a 400
  (`deployment_capabilities_evaluation_error`). SELF, SOURCE and TARGET mean nothing
  at deployment level (the real parser refuses them in outputs at upload).
- `get_property: [node, property, nested...]` reads the node's properties; a missing
  one is a 400 (`deployment_outputs_evaluation_error` / `..._capabilities_...`).
- An output or capability that is exactly `{get_secret: key}` of a secret that does
  not exist is left out, as the real `_clean_invalid_secrets` does.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tui.manager.columns import loads
from tui.manager.errors import (
    DeploymentCapabilitiesEvaluation,
    DeploymentOutputsEvaluation,
    FunctionsEvaluation,
    NotFound,
    crash,
)
from tui.manager.functions import WHERE, Call, Evaluator
from tui.manager.services import Services

NODE_REFERENCES = ("SELF", "SOURCE", "TARGET")


class _Unresolved(Exception):
    """dsl_parser's `FunctionEvaluationError` inside the deployment-level evaluation."""


def _lookup(value: Any, path: list[Any]) -> Any:
    """dsl_parser's `_get_property_value` without raising: None where the path ends."""
    for key in path:
        in_dict = isinstance(value, dict) and key in value
        in_list = isinstance(value, list) and key in range(-len(value), len(value))
        if not (in_dict or in_list):
            return None
        value = value[key]
    return value


class DeploymentEvaluator(Evaluator):
    """The evaluator of one deployment's outputs (or capabilities)."""

    def __init__(
        self, services: Services, deployment: sqlite3.Row, username: str, *, outputs: bool
    ) -> None:
        super().__init__(services, deployment["tenant"], deployment, username)
        self.outputs = outputs
        self.nodes = {node["id"]: node for node in loads(deployment["nodes"], [])}
        self._functions["get_attribute"] = self._get_attribute
        self._functions["get_property"] = self._get_property

    def _path_args(self, call: Call) -> list[Any]:
        args = call.args
        if not (isinstance(args, list) and len(args) >= 2):
            raise crash(
                f"ValueError: Illegal arguments passed to {call.name} function. Expected: "
                f"[ node_name\\function, attribute_name\\function [, nested-attribute-1"
                f"\\function, ... ] but got: {args}.",
                WHERE,
            )
        return args

    def _instance(self, node_name: Any, attribute_path: list[Any], path: str) -> sqlite3.Row:
        if node_name in ("SOURCE", "TARGET"):
            raise _Unresolved(
                f"{node_name} is missing in request context in {path} for attribute "
                f"{attribute_path}"
            )
        rows = self.services.store.all(
            "SELECT * FROM node_instances WHERE deployment_pk = ? AND node_id = ? ORDER BY idx",
            (self.deployment["pk"], node_name),
        )
        if not rows:
            raise _Unresolved(f"Node {node_name} has no instances.")
        if len(rows) > 1:
            raise _Unresolved(
                f'More than one node instance found for node "{node_name}". Cannot resolve a '
                "node instance unambiguously."
            )
        return rows[0]

    def _get_attribute(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = self._path_args(call)
        node_name, attribute_path = args[0], args[1:]
        try:
            instance = self._instance(node_name, attribute_path, path)
        except _Unresolved as exc:
            message = f"Unable to evaluate get_attribute function: {exc}"
            if self.outputs:
                return f"<ERROR: {message}>"
            raise DeploymentCapabilitiesEvaluation(message) from None
        value = _lookup(loads(instance["runtime_properties"], {}), attribute_path)
        if value is None and len(attribute_path) == 1:
            value = {"node_instance_id": instance["id"], "node_instance_index": instance["idx"] + 1}
            value = value.get(attribute_path[0])
        if value is None:
            node = self.nodes.get(instance["node_id"], {})
            value = _lookup(node.get("properties", {}), attribute_path)
        return value

    def _get_property(self, call: Call, raw: dict[str, Any], path: str) -> Any:
        args = self._path_args(call)
        node_name, property_path = args[0], args[1:]
        if node_name in NODE_REFERENCES:
            where = "outputs" if self.outputs else "capabilities"
            raise crash(
                f"ValueError: {node_name} can only be used in a context of node template but "
                f"appears in {where}.",
                WHERE,
            )
        node = self.nodes.get(node_name)
        if node is None:
            raise NotFound(f"Requested `Node` with ID `{node_name}` was not found")
        value = _lookup(node.get("properties", {}), property_path)
        if value is None:
            shown = ".".join(str(p) for p in property_path)
            raise self._error(
                "Unable to evaluate get_property function: Node template property "
                f"'{node_name}.properties.{shown}' referenced from '{path}' doesn't exist."
            )
        return value

    def _error(self, message: str) -> Exception:
        kind = DeploymentOutputsEvaluation if self.outputs else DeploymentCapabilitiesEvaluation
        return kind(message)

    def evaluate(self, declared: dict[str, Any]) -> dict[str, Any]:
        """Every output (capability) by name: its `value`, evaluated."""
        prefix = "outputs" if self.outputs else "capabilities"
        result = {}
        for name, spec in declared.items():
            value = spec.get("value") if isinstance(spec, dict) else None
            try:
                result[name] = self._value(value, f"{prefix}.{name}")
            except NotFound:
                if isinstance(value, dict) and "get_secret" in value:
                    continue  # a secret that does not exist: the output is left out
                raise
            except FunctionsEvaluation as exc:
                raise self._error(exc.message) from None
        return result


def evaluate(
    services: Services, deployment: sqlite3.Row, username: str, *, outputs: bool
) -> dict[str, Any]:
    """The deployment's outputs (`outputs`) or capabilities, evaluated now."""
    declared = loads(deployment["outputs" if outputs else "capabilities"], {}) or {}
    return DeploymentEvaluator(services, deployment, username, outputs=outputs).evaluate(declared)
