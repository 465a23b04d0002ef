"""The official Python client's labels, filter-rules and saved-filter calls against the
embedded manager: `deployments.list(filter_rules=..., filter_id=...)`,
`deployments.update_labels`, `deployments_labels`, `deployments_filters`, with the
exception classes the real manager's answers make."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import (
    CloudifyClientError,
    DeploymentParentNotFound,
    InvalidFilterRule,
)

from tests.manager.test_client_conformance import client, raises
from tests.manager_process import ManagerProcess


def rule(key: str, values: list[str], operator: str = "any_of", kind: str = "label") -> dict:
    return {"key": key, "values": values, "operator": operator, "type": kind}


@pytest.fixture
def admin(manager: ManagerProcess) -> Iterator[CloudifyClient]:
    yield client(manager)


def test_list_with_filter_rules_and_filter_id(admin: CloudifyClient) -> None:
    found = admin.deployments.list(filter_rules=[rule("env", ["prod"])], _include=["id"])
    assert [d.id for d in found] == ["web-prod", "db-main", "db-replica"]
    assert found.metadata.pagination.total == 3
    assert found.metadata["filtered"] == 3  # of the 6 in default_tenant
    by_saved = admin.deployments.list(filter_id="prod-eu", sort="id", is_descending=True)
    assert [d.id for d in by_saved] == ["web-prod", "db-replica", "db-main"]
    both = admin.deployments.list(
        filter_id="prod-eu", filter_rules=[rule("team", ["data"])], _include=["id", "labels"]
    )
    assert [d.id for d in both] == ["db-main", "db-replica"]
    assert {label.key for label in both[0].labels} == {"env", "region", "team"}
    err = raises(
        lambda: admin.deployments.list(filter_rules=[rule("env", [])]),
        InvalidFilterRule,
        400,
        "invalid_filter_rule",
        "Values list must include at least one item",
    )
    assert isinstance(err, InvalidFilterRule)
    assert err.err_filter_rule == rule("env", [])
    assert err.err_reason.startswith("Values list must include at least one item")


def test_update_labels(admin: CloudifyClient) -> None:
    dep = admin.deployments.update_labels("analytics", [{"env": "prod"}, {"tier": "batch"}])
    assert [(label.key, label.value) for label in dep.labels] == [
        ("env", "prod"),
        ("tier", "batch"),
    ]
    assert dep.labels[1]["created_by"] == "admin"
    assert admin.deployments.get("analytics").labels == dep.labels
    raises(
        lambda: admin.deployments.update_labels("analytics", [{"csys-obj-parent": "nosuch"}]),
        DeploymentParentNotFound,
        404,
        "deployment_parent_not_found_error",
        "nosuch",
    )
    raises(
        lambda: admin.deployments.update_labels("analytics", [{"bad key": "x"}]),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "contains illegal characters",
    )


def test_label_keys_and_values(admin: CloudifyClient) -> None:
    keys = admin.deployments_labels.list_keys()
    assert list(keys) == ["env", "region", "team"]
    assert keys.metadata.pagination.total == 3
    values = list(admin.deployments_labels.list_key_values("env"))
    assert values == ["canary", "dev", "prod", "staging"]
    reserved = admin.deployments_labels.get_reserved_labels_keys()
    assert "csys-obj-type" in reserved and len(reserved) == 11


def test_filters_crud(admin: CloudifyClient) -> None:
    filters = admin.deployments_filters
    created = filters.create("data-team", [rule("team", ["data"])], visibility="private")
    assert created.id == "data-team" and created.visibility == "private"
    assert created.labels_filter_rules == [rule("team", ["data"])]
    assert created.attrs_filter_rules == []
    listed = filters.list(sort="id", _include=["id", "is_system_filter"])
    assert listed.metadata.pagination.total == 24
    assert {"id": "data-team", "is_system_filter": False} in listed
    assert filters.get("data-team").tenant_name == "default_tenant"
    updated = filters.update(
        "data-team",
        new_filter_rules=[rule("blueprint_id", ["database"], kind="attribute")],
        new_visibility="tenant",
    )
    assert updated.visibility == "tenant"
    assert updated.value == [
        rule("team", ["data"]),
        rule("blueprint_id", ["database"], kind="attribute"),
    ]
    assert [d.id for d in admin.deployments.list(filter_id="data-team")] == [
        "db-main",
        "db-replica",
    ]
    raises(
        lambda: filters.delete("csys-environment-filter"),
        CloudifyClientError,
        400,
        "illegal_action_error",
        "Cannot delete a system filter",
    )
    filters.delete("data-team")
    raises(
        lambda: filters.get("data-team"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `DeploymentsFilter` with ID `data-team` was not found",
    )


def test_a_private_filter_is_its_creators(manager: ManagerProcess, admin: CloudifyClient) -> None:
    operator = client(manager, "operator")
    operator.deployments_filters.create("mine", [rule("env", ["dev"])], visibility="private")
    assert operator.deployments_filters.get("mine")["created_by"] == "operator"
    assert "mine" in [f.id for f in admin.deployments_filters.list()]  # an admin sees all
    viewer = client(manager, "viewer")
    assert "mine" not in [f.id for f in viewer.deployments_filters.list()]
    raises(
        lambda: viewer.deployments_filters.get("mine"),
        CloudifyClientError,
        404,
        "not_found_error",
    )
