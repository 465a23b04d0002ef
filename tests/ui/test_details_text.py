"""The sections of the deployment details and the node instance rows, as pure text:
what is shown, what is hidden, and that server strings stay inert."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.api.models import Deployment, Label, NodeInstance
from tui.live.details import Instances, Part
from tui.live.trail import Trail
from tui.widgets.details import (
    evaluated_text,
    instances_summary,
    labels_text,
    overview_text,
    values_text,
)
from tui.widgets.instances import instance_cells, matches, transitional
from tui.widgets.secrecy import hidden_because, mask, secrets_used

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_values_from_a_secret_or_named_as_credentials_are_never_shown() -> None:
    shown = values_text(
        {"endpoint": "http://10.0.0.5:8080", "db_password": "hunter2", "token_value": "t0k"},
        {"token_value": {"concat": ["x", {"get_secret": "api"}]}},
        empty="no outputs",
        ascii_only=False,
    ).plain
    assert "http://10.0.0.5:8080" in shown
    assert "hunter2" not in shown and "t0k" not in shown
    assert "(hidden: from secret api)" in shown
    assert "(hidden: a credential, by its name)" in shown


def test_an_unevaluated_secret_reference_is_shown_as_given() -> None:
    shown = values_text(
        {"password_ref": "x", "region": {"get_secret": "region"}},
        {},
        empty="",
        ascii_only=True,
    ).plain
    assert '{"get_secret": "region"}' in shown
    assert "password_ref: ******** (hidden" in shown


def test_secret_keys_are_found_anywhere_in_a_definition() -> None:
    definition = {"concat": [{"get_secret": ["db", "password"]}, {"get_secret": "x"}, "y"]}
    assert secrets_used(definition) == ["db", "x"]
    assert hidden_because("url", definition) == "from secret db, x"
    assert hidden_because("url", {"get_attribute": ["vm", "ip"]}) == ""
    assert hidden_because("ssh_key") and hidden_because("API-KEY") and not hidden_because("keys")


def test_mask_hides_credentials_at_any_depth() -> None:
    data = {"runtime_properties": {"ip": "10.0.0.1", "auth": {"password": "p", "user": "u"}}}
    assert mask(data, "***") == {
        "runtime_properties": {"ip": "10.0.0.1", "auth": {"password": "***", "user": "u"}}
    }


def test_an_evaluation_error_is_said_in_place_of_the_values() -> None:
    part = Part(error="Unable to evaluate get_attribute: [bad]")
    shown = evaluated_text(part, {}, what="outputs", ascii_only=False)
    assert shown.plain == "Outputs could not be read: Unable to evaluate get_attribute: [bad]"
    assert "[bad]" in shown.plain  # not markup


def test_labels_and_overview_keep_server_text_inert() -> None:
    labels = (Label("env", "prod"), Label("note", "[b]x\x1b[2J"))
    assert labels_text(labels, ascii_only=False).plain == "env=prod  note=[b]x\ufffd[2J"
    assert labels_text((), ascii_only=False).plain == "no labels"
    deployment = Deployment(
        id="web",
        display_name="Web [red]prod",
        blueprint_id="webapp",
        site_name="",
        created_by="admin",
        created_at="2026-11-29T11:00:00.000Z",
        deployment_status="good",
        installation_status="active",
        latest_execution_status="completed",
        latest_execution_workflow_id="install",
    )
    shown = overview_text(deployment, palette={}, now=NOW, tz=UTC, ascii_only=True).plain
    assert "Name          Web [red]prod" in shown
    assert "Site          -" in shown
    assert "Created       11:00:00 by admin" in shown
    assert "Status        good | active" in shown
    assert "Latest        ok completed install" in shown


def test_instances_are_counted_by_state_in_lifecycle_order() -> None:
    items = tuple(
        NodeInstance(f"i{n}", state=state)
        for n, state in enumerate(["started", "created", "started", "uninitialized", "weird"])
    )
    shown = instances_summary(Instances(items, total=7), palette={}, ascii_only=False).plain
    assert shown == (
        "· 1 uninitialized  ◐ 1 created  ✓ 2 started  ? 1 weird"
        "  (7 node instances, the first 5 counted)"
    )
    assert instances_summary(Instances(), palette={}, ascii_only=False).plain == (
        "no node instances"
    )


def test_an_instance_row_says_what_the_run_did_to_it() -> None:
    instance = NodeInstance("app_x1", node_id="app", state="created", host_id="vm_1", index=2)
    failed = Trail(
        "app_x1",
        3,
        "cloudify.interfaces.lifecycle.start",
        "failed",
        "cloudify.interfaces.lifecycle.configure",
        "boom",
    )
    cells = instance_cells(instance, failed, {}, ascii_only=True)
    assert {k: v.plain for k, v in cells.items()} == {
        "id": "app_x1",
        "state": "~ created",
        "node": "app",
        "host": "vm_1",
        "index": "2",
        "run": "FAIL failed in configure",
    }
    retrying = Trail("app_x1", 1, "cloudify.interfaces.lifecycle.create", "retrying")
    assert instance_cells(instance, retrying, {}, False)["run"].plain == "◷ create (retrying)"
    assert "run" not in instance_cells(instance, None, {}, False)


def test_the_filter_and_the_passing_states() -> None:
    instance = NodeInstance("app_x1", node_id="app", state="creating", host_id="vm_1")
    assert matches(instance, "VM_") and matches(instance, "creat") and matches(instance, "")
    assert not matches(instance, "db")
    assert transitional("creating") and transitional("deleting")
    assert not transitional("started") and not transitional("created")


def test_an_input_given_from_a_secret_hides_the_outputs_that_read_it() -> None:
    inputs = {"port": {"get_secret": "db_port"}, "image": "ubuntu"}
    shown = values_text(
        {"url": "postgresql://10.0.0.1:5433/app", "image": "ubuntu"},
        {
            "url": {"concat": ["postgresql://", {"get_input": "port"}, "/app"]},
            "image": {"get_input": "image"},
        },
        empty="",
        ascii_only=False,
        inputs=inputs,
    ).plain
    assert "5433" not in shown
    assert "url: •••••••• (hidden: from secret db_port)" in shown
    assert "image: ubuntu" in shown
