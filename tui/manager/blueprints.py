"""Blueprint YAML parsing: node templates, declared workflows and the standard types.

The result is a *plan*, the JSON-able dict a deployment is created from. It keeps
what the real DSL parser keeps for the parts the manager serves (workflows exactly as
declared, node types with their hierarchy), plus an optional `simulation` section
that tells the simulated engine how long operations take and where they fail.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import string
from importlib import resources
from typing import Any

import yaml

SCRIPT_SUFFIXES = (".py", ".sh", ".ps1", ".bat")
VALID_ACTIVE_RULES = {"all", "partial", "none"}
KNOWN_AVAILABILITY_RULES = {"available", "node_instances_active", "node_types_required"}


class BlueprintError(ValueError):
    """A blueprint that cannot be parsed, with a message naming the offending part."""


@functools.cache
def standard_types() -> dict[str, Any]:
    """The standard types file shipped with the manager (parsed once)."""
    text = resources.files("tui.manager").joinpath("types.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@functools.cache
def standard_workflows(dsl_version: str) -> dict[str, Any]:
    """The built-in workflows a blueprint of `dsl_version` imports, in file order.

    The real parser resolves `cloudify/types/types.yaml` to `types_1_4.yaml` or
    `types_1_3.yaml` for those DSL versions, and operators see the difference: a 1_4
    `uninstall` has no `recursive`, and a 1_3 blueprint's workflows have no
    availability rules at all, so they are always available.
    """
    std = standard_types()
    workflows = copy.deepcopy(std["workflows"])
    variant = std.get("dsl_versions", {}).get(dsl_version)
    if variant is None:
        return workflows
    for name, overrides in variant.get("parameters", {}).items():
        params = workflows[name]["parameters"]
        for pname, spec in overrides.items():
            if spec is None:
                params.pop(pname, None)
            else:
                description = params.get(pname, {}).get("description")
                params[pname] = dict(spec, **({"description": description} if description else {}))
    if variant.get("untyped"):
        for workflow in workflows.values():
            workflow.pop("availability_rules", None)
            for spec in workflow["parameters"].values():
                if spec.get("type") == "list":
                    spec.pop("type")
                    spec.pop("item_type", None)
    for name in variant.get("cascading", []):
        workflows[name]["is_cascading"] = True
    order = variant.get("order", list(workflows))
    return {name: workflows[name] for name in order}


def _imports_standard_types(imports: list[Any]) -> bool:
    for item in imports:
        text = str(item)
        if text.endswith("types.yaml") and "cloudify" in text:
            return True
        if text.startswith("cloudify/types/"):
            return True
    return False


def type_hierarchy(type_name: str, node_types: dict[str, Any]) -> list[str]:
    """Root-first list of the types `type_name` derives from, itself last."""
    chain: list[str] = []
    current: str | None = type_name
    while current is not None:
        if current in chain:
            raise BlueprintError(f"Node type {current} derives from itself")
        chain.append(current)
        spec = node_types.get(current)
        if spec is None:
            if current == type_name:
                raise BlueprintError(f"Could not locate node type: '{type_name}'")
            break
        current = (spec or {}).get("derived_from")
    return list(reversed(chain))


def parse_workflow(
    name: str, declaration: Any, plugins: set[str], dsl_version: str
) -> dict[str, Any]:
    """One workflow as the parser stores it: plugin, operation, parameters, rules."""
    if isinstance(declaration, str):
        declaration = {"mapping": declaration}
    if not isinstance(declaration, dict) or "mapping" not in declaration:
        raise BlueprintError(f"Workflow '{name}' must be a mapping string or have 'mapping'")
    mapping = str(declaration["mapping"])
    parameters = copy.deepcopy(declaration.get("parameters") or {})
    if not isinstance(parameters, dict):
        raise BlueprintError(f"Workflow '{name}': 'parameters' must be a dict")
    for pname, spec in parameters.items():
        if not isinstance(spec, dict):
            raise BlueprintError(f"Workflow '{name}': parameter '{pname}' must be a dict")
        if dsl_version < "1_5" and spec.get("type") == "operation_name":
            # cloudify_dsl_1_4 and older drop the operation_name type.
            del spec["type"]
    if mapping.endswith(SCRIPT_SUFFIXES):
        plugin, operation = "script", "script_runner.tasks.execute_workflow"
        parameters.setdefault(
            "script_path",
            {"default": mapping, "description": "Workflow script executed by the script plugin"},
        )
    else:
        plugin, _, operation = mapping.partition(".")
        for candidate in sorted(plugins, key=len, reverse=True):
            if mapping.startswith(candidate + "."):
                plugin, operation = candidate, mapping[len(candidate) + 1 :]
                break
        if not operation:
            raise BlueprintError(f"Workflow '{name}': invalid mapping '{mapping}'")
    rules = declaration.get("availability_rules")
    if rules is not None:
        validate_availability_rules(name, rules)
    return {
        "plugin": plugin,
        "operation": operation,
        "parameters": parameters,
        "is_cascading": bool(declaration.get("is_cascading", False)),
        "availability_rules": rules,
    }


def validate_availability_rules(name: str, rules: Any) -> None:
    if not isinstance(rules, dict):
        raise BlueprintError(f"Workflow '{name}': availability_rules must be a dict")
    unknown = set(rules) - KNOWN_AVAILABILITY_RULES
    if unknown:
        raise BlueprintError(f"Workflow '{name}': unknown availability rules {sorted(unknown)}")
    active = rules.get("node_instances_active")
    if active is not None and (
        not isinstance(active, list) or not set(active) <= VALID_ACTIVE_RULES
    ):
        raise BlueprintError(
            f"Workflow '{name}': node_instances_active must be a list of all/partial/none"
        )


def parse_blueprint(text: str) -> dict[str, Any]:
    """Parse blueprint YAML into a plan, or raise BlueprintError saying what is wrong."""
    doc = _document(text)
    dsl_version = str(doc.get("tosca_definitions_version", "")).removeprefix("cloudify_dsl_")
    node_types, workflows_decl, plugins = _declarations(doc, dsl_version)
    templates = doc.get("node_templates") or {}
    if not isinstance(templates, dict):
        raise BlueprintError("node_templates must be a mapping")
    nodes = [_node(node_id, spec, templates, node_types) for node_id, spec in templates.items()]
    workflows = {
        name: parse_workflow(name, decl, plugins, dsl_version)
        for name, decl in workflows_decl.items()
    }
    return {
        "dsl_version": dsl_version,
        "description": doc.get("description"),
        "inputs": doc.get("inputs") or {},
        "outputs": doc.get("outputs") or {},
        "capabilities": doc.get("capabilities") or {},
        "groups": doc.get("groups") or {},
        "policies": doc.get("policies") or {},
        "nodes": order_nodes(nodes),
        "workflows": workflows,
        "simulation": doc.get("simulation") or {},
    }


def _document(text: str) -> dict[str, Any]:
    """The YAML mapping of a blueprint with a Cloudify DSL version."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BlueprintError(f"Blueprint is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise BlueprintError("Blueprint must be a YAML mapping")
    dsl = str(doc.get("tosca_definitions_version", ""))
    if not dsl.startswith("cloudify_dsl_"):
        raise BlueprintError("Blueprint needs tosca_definitions_version: cloudify_dsl_1_x")
    return doc


def _declarations(
    doc: dict[str, Any], dsl_version: str
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """The node types, workflow declarations and plugin names a blueprint can use: its
    own, then those of the standard types file when it imports it."""
    node_types: dict[str, Any] = {}
    workflows_decl: dict[str, Any] = {}
    plugins = set((doc.get("plugins") or {}).keys())
    # The blueprint's own workflows come first, as the real parser lists them.
    own_workflows = doc.get("workflows") or {}
    if not isinstance(own_workflows, dict):
        raise BlueprintError("workflows must be a mapping")
    workflows_decl.update(own_workflows)
    if _imports_standard_types(doc.get("imports") or []):
        std = standard_types()
        node_types.update(std["node_types"])
        for name, decl in standard_workflows(dsl_version).items():
            workflows_decl.setdefault(name, decl)
        plugins.add("default_workflows")
    node_types.update(doc.get("node_types") or {})
    return node_types, workflows_decl, plugins


def _node(
    node_id: str, spec: Any, templates: dict[str, Any], node_types: dict[str, Any]
) -> dict[str, Any]:
    """One node template as the plan keeps it."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise BlueprintError(f"Node template '{node_id}' needs a type")
    relationships = []
    for rel in spec.get("relationships") or []:
        target = rel.get("target")
        if target not in templates:
            raise BlueprintError(
                f"Node template '{node_id}' has a relationship to unknown node '{target}'"
            )
        relationships.append({"type": rel.get("type"), "target_id": target})
    capabilities = spec.get("capabilities") or {}
    instances = (
        capabilities.get("scalable", {}).get("properties", {}).get("default_instances")
        or (spec.get("instances") or {}).get("deploy")
        or 1
    )
    interfaces = {}
    for iface, ops in (spec.get("interfaces") or {}).items():
        for op, impl in (ops or {}).items():
            mapping = impl.get("implementation") if isinstance(impl, dict) else impl
            interfaces[f"{iface}.{op}"] = mapping
    return {
        "id": node_id,
        "type": spec["type"],
        "type_hierarchy": type_hierarchy(spec["type"], node_types),
        "relationships": relationships,
        "instances": int(instances),
        "interfaces": interfaces,
        "properties": spec.get("properties") or {},
    }


def order_nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dependency order: a node comes after every node it has a relationship to."""
    by_id = {n["id"]: n for n in nodes}
    ordered: list[dict[str, Any]] = []
    state: dict[str, int] = {}

    def visit(node_id: str) -> None:
        if state.get(node_id) == 2:
            return
        if state.get(node_id) == 1:
            raise BlueprintError(f"Relationship cycle through node '{node_id}'")
        state[node_id] = 1
        for rel in by_id[node_id]["relationships"]:
            visit(rel["target_id"])
        state[node_id] = 2
        ordered.append(by_id[node_id])

    for node in nodes:
        visit(node["id"])
    return ordered


_ALPHABET = string.ascii_lowercase + string.digits


def node_instance_id(deployment_key: str, node_id: str, index: int) -> str:
    """A node instance id in the real shape (`<node>_<6 chars>`), stable for its inputs."""
    digest = hashlib.sha256(f"{deployment_key}/{node_id}/{index}".encode()).digest()
    suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:6])
    return f"{node_id}_{suffix}"


def workflow_is_available(workflow: dict[str, Any], states: set[str], node_types: set[str]) -> bool:
    """Evaluate availability rules against node-instance states and node type hierarchies."""
    rules = workflow.get("availability_rules") or {}
    if rules.get("available") is False:
        return False
    required = rules.get("node_types_required")
    if required and not set(required) & node_types:
        return False
    active = rules.get("node_instances_active")
    if active:
        results = []
        for rule in active:
            if rule == "all":
                results.append(not states or states == {"started"})
            elif rule == "partial":
                results.append(states != {"started"} and not states <= {"uninitialized", "deleted"})
            elif rule == "none":
                results.append("started" not in states)
        if not any(results):
            return False
    return True
