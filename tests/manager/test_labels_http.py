"""Deployment labels, filter rules and saved filters over plain HTTP: fields, rules,
metadata and error bodies, as the real 7.0.4 manager answers them (probed on a running
one where it could be read; its `filters_utils.py`, `storage/filters.py`,
`rest_utils.parse_label`, `resources_v3_1/labels.py` and `filters.py` otherwise).

The demo seed labels every deployment with `env`, `region` and `team`
(`seed.seed_demo`): in `default_tenant` web-prod (prod, eu-west, web), web-staging
(staging, eu-west, web), db-main (prod, eu-west, data), db-replica (prod, eu-central,
data), analytics (dev, us-east, analytics); it saves the filter `prod-eu`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import admin_client
from tests.manager.test_http_api import assert_error, headers
from tests.manager_process import ManagerProcess

DEFAULT = ["web-prod", "web-staging", "db-main", "db-replica", "analytics", "web-canary"]


def rule(key: str, values: list[str], operator: str = "any_of", kind: str = "label") -> dict:
    return {"key": key, "values": values, "operator": operator, "type": kind}


@pytest.fixture(scope="module")
def http(module_manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(module_manager) as client:
        yield client


@pytest.fixture
def fresh(manager: ManagerProcess) -> Iterator[httpx.Client]:
    """A manager of this test's own, for tests that change labels or filters."""
    with admin_client(manager) as client:
        yield client


def search(http: httpx.Client, *rules: dict, **params: Any) -> dict:
    response = http.post(
        "/searches/deployments", params={"_include": "id", **params}, json={"filter_rules": rules}
    )
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict) -> list[str]:
    return [item["id"] for item in body["items"]]


# -- labels on deployments -------------------------------------------------------------


def test_seeded_labels_are_shown_with_when_and_by_whom(http: httpx.Client) -> None:
    dep = http.get("/deployments/web-prod").json()
    assert [(label["key"], label["value"]) for label in dep["labels"]] == [
        ("env", "prod"),
        ("region", "eu-west"),
        ("team", "web"),
    ]
    assert set(dep["labels"][0]) == {"key", "value", "created_at", "created_by"}
    assert dep["labels"][0]["created_by"] == "admin"
    listed = http.get("/deployments", params={"_include": "id,labels"}).json()["items"]
    assert all(len(item["labels"]) == 3 for item in listed)


def test_patch_replaces_the_set_and_keeps_labels_that_stay(fresh: httpx.Client) -> None:
    before = {label["key"]: label for label in fresh.get("/deployments/web-prod").json()["labels"]}
    response = fresh.patch(
        "/deployments/web-prod",
        json={"labels": [{"Env": "prod"}, {"tier": ["front", "edge"]}, {"region": "eu-west"}]},
    )
    assert response.status_code == 200, response.text
    labels = response.json()["labels"]
    assert [(label["key"], label["value"]) for label in labels] == [
        ("env", "prod"),
        ("region", "eu-west"),
        ("tier", "front"),
        ("tier", "edge"),
    ]
    assert labels[0]["created_at"] == before["env"]["created_at"]  # kept, not remade
    assert labels[2]["created_at"] != before["env"]["created_at"]
    assert response.json()["id"] == "web-prod" and "workflows" in response.json()
    cleared = fresh.patch("/deployments/web-prod", json={"labels": []})
    assert cleared.json()["labels"] == []


def test_patch_normalises_values_and_lowercases_obj_type(fresh: httpx.Client) -> None:
    response = fresh.patch(
        "/deployments/db-main",
        json={"labels": [{"csys-obj-type": "Environment"}, {"n": "ｆｕｌｌ"}]},
    )
    assert response.status_code == 200, response.text
    pairs = [(label["key"], label["value"]) for label in response.json()["labels"]]
    assert pairs == [("csys-obj-type", "environment"), ("n", "full")]


def test_patch_display_name(fresh: httpx.Client) -> None:
    response = fresh.patch("/deployments/db-main", json={"display_name": "Primary DB"})
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Primary DB"
    assert len(response.json()["labels"]) == 3  # untouched without `labels`


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("env", "Labels must be a list of 1-entry dictionaries"),
        ([{"a": "1", "b": "2"}], "Labels must be a list of 1-entry dictionaries"),
        ([{"a": 1}], "Labels must be a list of 1-entry dictionaries"),
        ([{"a b": "1"}], "The key `a b` contains illegal characters"),
        ([{"a": 'say "hi"'}], 'Control characters and `"` are not allowed.'),
        ([{"a": "x" * 257}], "The key or value is too long. Maximum allowed length is 256"),
        ([{"csys-mine": "1"}], "All labels with a `csys-` prefix are reserved for internal use"),
        ([{"a": "1"}, {"A": "1"}], "You cannot define the same label twice"),
        ([{"csys-location-lat": "91"}], "Invalid latitude `91`. Must be a number between -90"),
    ],
)
def test_patch_refuses_bad_labels(http: httpx.Client, labels: Any, message: str) -> None:
    response = http.patch("/deployments/web-staging", json={"labels": labels})
    assert_error(response, 400, "bad_parameters_error", message)
    assert len(http.get("/deployments/web-staging").json()["labels"]) == 3


def test_patch_errors(http: httpx.Client) -> None:
    assert_error(
        http.patch("/deployments/web-prod", json={}),
        400,
        "illegal_action_error",
        "Update a deployment request must include at least one parameter to update",
    )
    assert_error(
        http.patch("/deployments/nosuch", json={"labels": []}),
        404,
        "not_found_error",
        "Requested `Deployment` with ID `nosuch` was not found",
    )
    assert_error(
        http.patch("/deployments/web-prod", json={"inputs": {}}),
        409,
        "conflict_error",
        "inputs is already set",
    )
    assert_error(
        http.patch("/deployments/web-prod", json={"labels": [{"csys-obj-parent": "nosuch"}]}),
        404,
        "deployment_parent_not_found_error",
        "Environment referenced by `csys-obj-parent` not found: nosuch",
    )
    viewer = httpx.patch(
        str(http.base_url).rstrip("/") + "/deployments/web-prod",
        headers=headers("viewer"),
        json={"labels": []},
    )
    assert_error(viewer, 403, "forbidden_error")


# -- /labels/deployments ---------------------------------------------------------------


def test_label_keys_and_values(http: httpx.Client) -> None:
    keys = http.get("/labels/deployments").json()
    assert keys == {
        "metadata": {"pagination": {"total": 3, "size": 1000, "offset": 0}, "filtered": None},
        "items": ["env", "region", "team"],
    }
    values = http.get("/labels/deployments/region").json()
    assert values["items"] == ["eu-central", "eu-west", "us-east"]
    assert http.get("/labels/deployments/nosuch").json()["items"] == []
    assert http.get("/labels/deployments", params={"_search": "GI"}).json()["items"] == ["region"]
    paged = http.get("/labels/deployments/env", params={"_size": 1, "_offset": 1}).json()
    assert paged["items"] == ["dev"]  # canary, dev, prod, staging
    assert paged["metadata"]["pagination"] == {"total": 4, "size": 1, "offset": 1}


def test_label_lists_are_scoped_to_the_tenant(module_manager: ManagerProcess) -> None:
    with admin_client(module_manager, "team-eu") as eu:
        assert eu.get("/labels/deployments/region").json()["items"] == ["eu-central"]
        assert eu.get("/labels/deployments/team").json()["items"] == ["data", "web"]


def test_reserved_label_keys(http: httpx.Client) -> None:
    body = http.get("/labels/deployments", params={"_reserved": "True"}).json()
    assert "filtered" not in body["metadata"]
    assert body["metadata"]["pagination"]["total"] == 11
    assert "csys-obj-type" in body["items"] and "csys-obj-parent" in body["items"]


def test_label_values_of_a_bad_key(http: httpx.Client) -> None:
    assert_error(
        http.get("/labels/deployments/1bad"),
        400,
        "bad_parameters_error",
        "The `label_key` argument must begin with a letter",
    )


# -- filter rules ------------------------------------------------------------------------


def test_label_operators(http: httpx.Client) -> None:
    assert ids(search(http, rule("env", ["prod"]))) == ["web-prod", "db-main", "db-replica"]
    assert ids(search(http, rule("env", ["prod"], "not_any_of"))) == [
        "web-staging",
        "analytics",
        "web-canary",
    ]
    assert ids(search(http, rule("team", ["web", "data"], "is_not"))) == ["analytics"]
    assert ids(search(http, rule("env", [], "is_not_null"))) == DEFAULT
    assert ids(search(http, rule("env", [], "is_null"))) == []
    assert ids(search(http, rule("nosuch", [], "is_null"))) == DEFAULT
    assert ids(search(http, rule("nosuch", ["x"], "is_not"))) == DEFAULT
    assert ids(search(http, rule("nosuch", ["x"], "not_any_of"))) == []
    both = search(http, rule("env", ["prod"]), rule("region", ["eu-central", "us-east"]))
    assert ids(both) == ["db-replica"]
    assert both["metadata"] == {
        "pagination": {"total": 1, "size": 1000, "offset": 0},
        "filtered": 5,
    }


def test_attribute_operators(http: httpx.Client) -> None:
    def attr(key: str, values: list[str], operator: str) -> list[str]:
        return ids(search(http, rule(key, values, operator, "attribute")))

    assert attr("blueprint_id", ["webapp", "analytics"], "any_of") == [
        "web-prod",
        "web-staging",
        "analytics",
        "web-canary",
    ]
    assert attr("blueprint_id", ["webapp"], "not_any_of") == ["db-main", "db-replica", "analytics"]
    assert attr("id", ["db"], "contains") == ["db-main", "db-replica"]
    assert attr("id", ["DB"], "contains") == []  # case-sensitive, as LIKE in PostgreSQL
    assert attr("id", ["db", "web"], "not_contains") == ["analytics"]
    assert attr("display_name", ["WEB"], "starts_with") == ["web-prod", "web-staging", "web-canary"]
    assert attr("id", ["replica", "prod"], "ends_with") == ["web-prod", "db-replica"]
    assert attr("site_name", [], "is_not_empty") == ["web-prod"]
    assert attr("schedules", [], "is_not_empty") == []
    assert attr("tenant_name", ["default_tenant"], "any_of") == DEFAULT
    assert attr("installation_status", ["inactive"], "any_of") == ["db-replica", "web-canary"]


def test_search_with_query_arguments(http: httpx.Client) -> None:
    prod = rule("env", ["prod"])
    body = search(http, prod, _search="DB", _sort="-id", _size=1)
    assert ids(body) == ["db-replica"]
    assert body["metadata"] == {"pagination": {"total": 2, "size": 1, "offset": 0}, "filtered": 4}
    # plain filter keys are ignored by the real endpoint, unknown ones too
    assert ids(search(http, prod, blueprint_id="webapp", nosuch="1")) == [
        "web-prod",
        "db-main",
        "db-replica",
    ]
    assert search(http)["metadata"]["filtered"] is None  # no rules: no count
    assert ids(search(http, prod, _filter_id="prod-eu")) == ["web-prod", "db-main", "db-replica"]
    by_label = http.get("/deployments", params={"_include": "id", "_sort": "-label:team"})
    assert ids(by_label.json()) == [
        "web-prod",
        "web-staging",
        "web-canary",
        "db-main",
        "db-replica",
        "analytics",
    ]
    # label sorts come after the others, whatever their place in the query
    by_id = http.get("/deployments", params={"_include": "id", "_sort": ["label:team", "-id"]})
    assert ids(by_id.json()) == [
        "web-staging",
        "web-prod",
        "web-canary",
        "db-replica",
        "db-main",
        "analytics",
    ]


def test_duplicate_rules_count_once_and_keys_are_lowercased(http: httpx.Client) -> None:
    body = search(http, rule("ENV", ["dev"]), rule("env", ["dev"]))
    assert ids(body) == ["analytics"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("x", "The filter rule is not a dictionary"),
        ({"key": "env", "values": ["x"], "operator": "any_of"}, "At least one of the entries"),
        (rule("env", "x"), "The filter rule values must be a list"),
        ({"key": 1, "values": [], "operator": "is_null", "type": "label"}, "must be a string"),
        (rule("env", ["x"], "nope"), "The operator for filtering by labels must be one of any_of"),
        (rule("env", ["x"], "is_null"), "Values list must be empty if the operator is one of"),
        (rule("env", []), "Values list must include at least one item if the operator is"),
        (rule("env", ["x"], kind="other"), "Filter rule type must be one of label, attribute"),
        (rule("csys-x", ["y"]), "All labels with a `csys-` prefix are reserved"),
        (rule("nosuch", ["x"], "any_of", "attribute"), "Allowed attributes to filter deployments"),
        (rule("id", ["x"], "is_null", "attribute"), "The operator for filtering by attributes"),
        (rule("id", ["x"], "is_not_empty", "attribute"), "Values list must be empty if the op"),
        (rule("schedules", ["x"], "any_of", "attribute"), "Filtering by deployment schedules"),
        (rule("id", ["1x"], "any_of", "attribute"), "filter rule value` argument must begin"),
    ],
)
def test_bad_rules(http: httpx.Client, bad: Any, reason: str) -> None:
    response = http.post("/searches/deployments", json={"filter_rules": [bad]})
    body = assert_error(response, 400, "invalid_filter_rule", reason)
    assert body["err_filter_rule"] == bad
    assert reason in body["err_reason"]
    assert body["message"].startswith(f"The filter rule {bad!r} is not in the right format. ")


def test_search_body_errors(http: httpx.Client) -> None:
    assert_error(
        http.post("/searches/deployments", json={"filter_rules": "env=prod"}),
        400,
        "bad_parameters_error",
        "filter_rules parameter is expected to be of type list but is of type str",
    )
    assert_error(
        http.post(
            "/searches/deployments", params={"_filter_id": "nosuch"}, json={"filter_rules": []}
        ),
        404,
        "not_found_error",
        "Requested `DeploymentsFilter` with ID `nosuch` was not found",
    )
    assert_error(
        http.get("/deployments", params={"_filter_id": "1bad"}),
        400,
        "bad_parameters_error",
        "The `filter_id` argument must begin with a letter",
    )


# -- saved filters ---------------------------------------------------------------------


def test_system_and_seeded_filters(http: httpx.Client) -> None:
    body = http.get("/filters/deployments").json()
    by_id = {item["id"]: item for item in body["items"]}
    assert body["metadata"]["pagination"]["total"] == 23
    env = by_id["csys-environment-filter"]
    assert list(env) == [
        "created_at",
        "id",
        "visibility",
        "value",
        "updated_at",
        "is_system_filter",
        "tenant_name",
        "created_by",
        "resource_availability",
        "private_resource",
        "labels_filter_rules",
        "attrs_filter_rules",
    ]
    assert env["is_system_filter"] is True and env["visibility"] == "global"
    assert env["labels_filter_rules"] == env["value"] and env["attrs_filter_rules"] == []
    assert by_id["prod-eu"]["is_system_filter"] is False
    assert ids(http.get("/deployments", params={"_filter_id": "prod-eu"}).json()) == [
        "web-prod",
        "db-main",
        "db-replica",
    ]
    service = http.get("/deployments", params={"_filter_id": "csys-service-filter"}).json()
    assert service["metadata"]["filtered"] == 0 and len(service["items"]) == len(DEFAULT)
    found = http.get("/filters/deployments", params={"_search": "AWS", "_include": "id"}).json()
    assert found["items"] == [{"id": "aws-deployments"}]


def test_filter_crud(fresh: httpx.Client) -> None:
    created = fresh.put(
        "/filters/deployments/mine",
        json={
            "filter_rules": [rule("Team", ["data"]), rule("id", ["db"], "starts_with", "attribute")]
        },
    )
    assert created.status_code == 200, created.text
    item = created.json()
    assert item["value"] == [rule("team", ["data"]), rule("id", ["db"], "starts_with", "attribute")]
    assert item["visibility"] == "tenant" and item["created_by"] == "admin"
    assert item["created_at"] == item["updated_at"]
    assert fresh.get("/filters/deployments/mine").json() == item
    updated = fresh.patch(
        "/filters/deployments/mine", json={"filter_rules": [rule("env", ["prod"])]}
    )
    assert updated.json()["value"] == [
        rule("id", ["db"], "starts_with", "attribute"),
        rule("env", ["prod"]),
    ]
    assert updated.json()["updated_at"] >= item["updated_at"]
    assert ids(fresh.get("/deployments", params={"_filter_id": "mine"}).json()) == [
        "db-main",
        "db-replica",
    ]
    assert_error(
        fresh.patch("/filters/deployments/mine", json={"visibility": "private"}),
        400,
        "illegal_action_error",
        "Can't set the visibility of `mine` to private because it already has wider visibility",
    )
    assert fresh.delete("/filters/deployments/mine").status_code == 204
    assert_error(fresh.get("/filters/deployments/mine"), 404, "not_found_error")


def test_filter_errors(http: httpx.Client) -> None:
    assert_error(
        http.put("/filters/deployments/csys-mine", json={"filter_rules": []}),
        400,
        "bad_parameters_error",
        "All filters with a `csys-` prefix are reserved for internal use.",
    )
    assert_error(
        http.put("/filters/deployments/other", json={}),
        400,
        "bad_parameters_error",
        "Missing filter_rules in json request body",
    )
    assert_error(
        http.put("/filters/deployments/prod-eu", json={"filter_rules": []}),
        409,
        "conflict_error",
        "<DeploymentsFilter id=`prod-eu` tenant=`default_tenant`> already exists",
    )
    for method in ("PATCH", "DELETE"):
        verb = "update" if method == "PATCH" else "delete"
        response = http.request(
            method, "/filters/deployments/csys-k8s-filter", json={"visibility": "global"}
        )
        assert_error(response, 400, "illegal_action_error", f"Cannot {verb} a system filter")
    assert_error(
        http.patch("/filters/deployments/prod-eu", json={}),
        400,
        "illegal_action_error",
        "Update a filter request must include at least one parameter to update",
    )
    assert_error(
        http.get("/filters/deployments", params={"_sort": "nosuch"}),
        400,
        "bad_parameters_error",
        "Sort keys '['nosuch']' do not exist",
    )


def test_labels_of_an_older_data_directory_move_to_their_table(manager: ManagerProcess) -> None:
    """Schema 2 kept a deployment's labels as JSON in its row: a start moves them."""
    manager.stop()
    stamp = "2026-01-02T03:04:05.000Z"
    old = [{"key": "owner", "value": "alice", "created_at": stamp, "created_by": "operator"}]
    with sqlite3.connect(manager.data / "manager.sqlite3") as db:
        db.execute("ALTER TABLE deployments ADD COLUMN labels TEXT")
        db.execute("DELETE FROM deployments_labels")
        db.execute("UPDATE deployments SET labels = ? WHERE id = 'db-main'", (json.dumps(old),))
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.close()
    manager.start()
    with admin_client(manager) as http:
        assert http.get("/deployments/db-main").json()["labels"] == old
        assert http.get("/labels/deployments").json()["items"] == ["owner"]
        patched = http.patch("/deployments/db-main", json={"labels": [{"owner": "alice"}]})
        assert patched.json()["labels"] == old
    manager.restart()  # moved once: nothing is moved twice
    with admin_client(manager) as http:
        assert http.get("/deployments/db-main").json()["labels"] == old


def test_the_scale_seed_labels_its_fleet(tmp_path: Path) -> None:
    proc = ManagerProcess(data=tmp_path / "scale", seed="scale:100").start()
    try:
        with admin_client(proc) as http:
            keys = http.get("/labels/deployments").json()["items"]
            assert keys == ["env", "region", "team"]
            envs = http.get("/labels/deployments/env").json()["items"]
            assert envs == ["dev", "prod", "staging"]
            assert len(http.get("/labels/deployments/region").json()["items"]) == 4
            prod = search(http, rule("env", ["prod"]))
            assert prod["metadata"]["pagination"]["total"] == 40
            both = search(http, rule("env", ["prod"]), rule("region", ["eu-west"]))
            assert both["metadata"]["pagination"]["total"] == 10
            assert both["metadata"]["filtered"] == 90
    finally:
        proc.stop()


def test_environment_type_is_the_csys_env_type_label(fresh: httpx.Client) -> None:
    assert fresh.get("/deployments/web-prod").json()["environment_type"] == ""
    labels = [{"csys-env-type": "kubernetes"}, {"env": "prod"}]
    assert fresh.patch("/deployments/web-prod", json={"labels": labels}).status_code == 200
    assert fresh.get("/deployments/web-prod").json()["environment_type"] == "kubernetes"
    found = fresh.get(
        "/deployments",
        params={"environment_type": "kubernetes", "_include": "id,environment_type"},
    )
    assert found.json()["items"] == [{"id": "web-prod", "environment_type": "kubernetes"}]
    ordered = fresh.get("/deployments", params={"_sort": "-environment_type", "_include": "id"})
    assert ids(ordered.json())[0] == "web-prod"
