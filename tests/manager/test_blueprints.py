"""Blueprint parsing: declared workflows in short and long form, script mappings,
the standard types' built-in workflows, availability rules and clear errors."""

from __future__ import annotations

import pytest

from tui.manager.blueprints import BlueprintError, parse_blueprint, workflow_is_available

BASE = """
tosca_definitions_version: cloudify_dsl_1_5
imports: [cloudify/types/types.yaml]
plugins: {my_plugin: {executor: central_deployment_agent}}
node_templates:
  vm: {type: cloudify.nodes.Compute}
  app:
    type: cloudify.nodes.ApplicationModule
    relationships: [{type: cloudify.relationships.contained_in, target: vm}]
"""


def parse(extra: str = "") -> dict:
    return parse_blueprint(BASE + extra)


def test_standard_types_bring_the_built_in_workflows() -> None:
    workflows = parse()["workflows"]
    assert {
        "install",
        "uninstall",
        "reinstall",
        "start",
        "stop",
        "restart",
        "execute_operation",
        "heal",
        "scale",
        "check_status",
        "check_drift",
        "install_new_agents",
        "validate_agents",
        "rollback",
        "pull",
    } == set(workflows)
    install = workflows["install"]
    assert install == {
        "plugin": "default_workflows",
        "operation": "cloudify.plugins.workflows.install",
        "parameters": {
            "type_names": {"default": [], "type": "list", "item_type": "node_type"},
            "node_ids": {"default": [], "type": "list", "item_type": "node_id"},
            "node_instance_ids": {"default": [], "type": "list", "item_type": "node_instance"},
        },
        "is_cascading": False,
        "availability_rules": {"node_instances_active": ["none", "partial"]},
    }
    assert workflows["execute_operation"]["parameters"]["operation"] == {"type": "operation_name"}


def test_without_the_types_import_there_are_no_built_in_workflows() -> None:
    plan = parse_blueprint(
        "tosca_definitions_version: cloudify_dsl_1_5\nnode_types: {t: {}}\n"
        "node_templates: {n: {type: t}}\n"
    )
    assert plan["workflows"] == {}


def test_short_long_and_script_forms() -> None:
    workflows = parse("""
workflows:
  short: my_plugin.tasks.do_it
  long:
    mapping: my_plugin.tasks.other
    is_cascading: true
    parameters:
      count: {type: integer, default: 2, description: How many}
      name: {type: string}
      maybe: {required: false}
  scripted: scripts/run.py
""")["workflows"]
    assert workflows["short"]["plugin"] == "my_plugin"
    assert workflows["short"]["operation"] == "tasks.do_it"
    assert workflows["short"]["parameters"] == {}
    assert workflows["long"]["is_cascading"] is True
    assert workflows["long"]["parameters"]["count"] == {
        "type": "integer",
        "default": 2,
        "description": "How many",
    }
    assert workflows["scripted"]["plugin"] == "script"
    assert workflows["scripted"]["operation"] == "script_runner.tasks.execute_workflow"
    assert workflows["scripted"]["parameters"]["script_path"]["default"] == "scripts/run.py"


def test_dsl_1_4_drops_the_operation_name_type() -> None:
    plan = parse_blueprint(BASE.replace("cloudify_dsl_1_5", "cloudify_dsl_1_4"))
    assert plan["workflows"]["execute_operation"]["parameters"]["operation"] == {}


def test_nodes_come_in_dependency_order_with_type_hierarchy() -> None:
    nodes = parse_blueprint(
        BASE.replace("  vm: {type: cloudify.nodes.Compute}\n", "")
        + ("  vm: {type: cloudify.nodes.Compute}\n")
    )["nodes"]
    assert [n["id"] for n in nodes] == ["vm", "app"]
    assert nodes[0]["type_hierarchy"] == ["cloudify.nodes.Root", "cloudify.nodes.Compute"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [", "not valid YAML"),
        ("just text", "must be a YAML mapping"),
        ("node_templates: {}", "tosca_definitions_version"),
        (BASE + "  bad: {type: nosuch.Type}\n", "Could not locate node type: 'nosuch.Type'"),
        (
            BASE + "  bad:\n    type: cloudify.nodes.Root\n    relationships: [{target: ghost}]\n",
            "unknown node 'ghost'",
        ),
        (BASE + "workflows: {w: {parameters: {}}}\n", "Workflow 'w'"),
        (
            BASE + "workflows: {w: {mapping: my_plugin.x, availability_rules: "
            "{node_instances_active: [sometimes]}}}\n",
            "node_instances_active",
        ),
    ],
)
def test_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(BlueprintError, match=message):
        parse_blueprint(text)


@pytest.mark.parametrize(
    ("states", "rules", "available"),
    [
        (set(), ["none", "partial"], True),
        (set(), ["all", "partial"], True),
        ({"started"}, ["none", "partial"], False),
        ({"started"}, ["all"], True),
        ({"started", "uninitialized"}, ["partial"], True),
        ({"uninitialized"}, ["partial"], False),
        ({"uninitialized", "deleted"}, ["none"], True),
    ],
)
def test_node_instances_active_rules(states: set[str], rules: list[str], available: bool) -> None:
    workflow = {"availability_rules": {"node_instances_active": rules}}
    assert workflow_is_available(workflow, states, set()) is available


def test_available_false_and_required_node_types() -> None:
    assert not workflow_is_available({"availability_rules": {"available": False}}, set(), set())
    needs_compute = {"availability_rules": {"node_types_required": ["cloudify.nodes.Compute"]}}
    assert workflow_is_available(needs_compute, set(), {"cloudify.nodes.Compute"})
    assert not workflow_is_available(needs_compute, set(), {"cloudify.nodes.Root"})
