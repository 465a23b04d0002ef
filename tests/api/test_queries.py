"""Deployment queries as the manager's filtering takes them: the filter rules a label
search posts (exactly the manager's rule shape, or the manager refuses or ignores
them), and the saved filters read back in the words of the app's filter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire import RecordingTransport
from tui.api import ManagerClient
from tui.api.queries import DeploymentQuery, SavedFilter, label_rule

ENV_PROD = {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"}

# -- rules -------------------------------------------------------------------------------


def test_ids_are_one_attribute_rule_after_the_others() -> None:
    query = DeploymentQuery(labels=(ENV_PROD,), params=(("blueprint_id", "webapp"),))
    assert query.rules(["web-prod", "db-main"]) == [
        ENV_PROD,
        {"key": "blueprint_id", "values": ["webapp"], "operator": "any_of", "type": "attribute"},
        {
            "key": "id",
            "values": ["web-prod", "db-main"],
            "operator": "any_of",
            "type": "attribute",
        },
    ]
    # The ids may come as any iterable the caller has: they go as a list.
    assert query.rules(("a",))[-1]["values"] == ["a"]
    # No ids, no id rule (an empty `any_of` would match nothing).
    assert query.rules([]) == query.rules() == query.rules(None)
    assert query.rules() == [
        ENV_PROD,
        {"key": "blueprint_id", "values": ["webapp"], "operator": "any_of", "type": "attribute"},
    ]


def test_a_label_rule_is_any_of_unless_negated() -> None:
    """`env=prod` keeps the prod deployments; only `env!=prod` asks for the others."""
    assert label_rule("env", ["prod"]) == ENV_PROD
    assert label_rule("env", ["prod", "qa"], negated=True) == {
        "key": "env",
        "values": ["prod", "qa"],
        "operator": "not_any_of",
        "type": "label",
    }


def test_unruled_names_the_plain_filters_no_rule_can_say() -> None:
    query = DeploymentQuery(params=(("deployment_status", "good"), ("site_name", "paris")))
    assert query.unruled() == ["deployment_status"]
    assert not query.searches and DeploymentQuery(labels=(ENV_PROD,)).searches


# -- on the wire -------------------------------------------------------------------------


async def test_a_label_search_posts_the_ids_as_a_rule_and_the_manager_keeps_to_them(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """With labels, ids cannot go in the query (a search ignores it): they are the
    `id` rule of the body, and the manager answers only those of them that match."""
    client, transport = recorded
    where = DeploymentQuery(labels=(ENV_PROD,))
    page = await client.list_deployments(
        where=where, ids=["web-prod", "analytics", "db-main"], include=("id",)
    )
    assert [d.id for d in page.items] == ["db-main", "web-prod"]  # analytics is not prod
    method, path, query = transport.sent()[-1]
    assert (method, path) == ("POST", "/api/v3.1/searches/deployments")
    assert ("id", "web-prod") not in query
    assert transport.body(-1) == {
        "filter_rules": [
            ENV_PROD,
            {
                "key": "id",
                "values": ["web-prod", "analytics", "db-main"],
                "operator": "any_of",
                "type": "attribute",
            },
        ]
    }


# -- saved filters -----------------------------------------------------------------------


def test_a_saved_filter_is_read_from_the_managers_json() -> None:
    data: dict[str, Any] = {
        "id": "prod-eu",
        "value": [ENV_PROD, "junk", 3, {"key": "region", "values": ["eu"]}],
        "is_system_filter": False,
    }
    assert SavedFilter.from_json(data) == SavedFilter(
        id="prod-eu", rules=(ENV_PROD, {"key": "region", "values": ["eu"]}), system=False
    )
    system = SavedFilter.from_json({"id": "csys-k8s-filter", "is_system_filter": True})
    assert system == SavedFilter(id="csys-k8s-filter", rules=(), system=True)
    # Only a real `true` makes it the manager's own; rules that are no list are none.
    odd = SavedFilter.from_json({"id": "x", "value": {"key": "env"}, "is_system_filter": "yes"})
    assert odd == SavedFilter(id="x", rules=(), system=False)


@pytest.mark.parametrize(
    "data",
    [None, [], "prod-eu", {}, {"id": None}, {"id": 7}, {"value": [ENV_PROD]}],
    ids=["none", "list", "text", "empty", "id-null", "id-number", "no-id"],
)
def test_a_saved_filter_without_a_text_id_is_none(data: Any) -> None:
    assert SavedFilter.from_json(data) is None


async def test_the_saved_filters_of_the_manager(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, _ = recorded
    saved = {f.id: f for f in await client.list_deployment_filters()}
    assert saved["prod-eu"].described() == "env=prod region=eu-west,eu-central"
    assert not saved["prod-eu"].system
    assert saved["csys-k8s-filter"].system
    assert saved["csys-service-filter"].described() == (
        "csys-obj-type=environment csys-obj-parent="
    )


@pytest.mark.parametrize(
    ("rules", "shown"),
    [
        pytest.param((), "no rules", id="no-rules"),
        pytest.param((ENV_PROD,), "env=prod", id="label"),
        pytest.param(
            ({"key": "env", "values": ["prod", "qa"], "operator": "not_any_of", "type": "label"},),
            "env!=prod,qa",
            id="negated-label",
        ),
        pytest.param(
            (
                {
                    "key": "blueprint_id",
                    "values": ["webapp", "db"],
                    "operator": "any_of",
                    "type": "attribute",
                },
                {"key": "site_name", "values": ["paris"], "operator": "contains", "type": "x"},
            ),
            "blueprint_id any of webapp,db site_name contains paris",
            id="attributes",
        ),
        pytest.param(
            ({"key": "created_by", "values": [], "operator": "is_not_null"},),
            "created_by is not null",
            id="no-values",
        ),
        pytest.param(
            ({"values": "prod", "type": "label"},),
            "?=?",
            id="label-without-key-values-not-a-list",
        ),
        pytest.param(
            ({"key": "n", "values": [1, None], "type": "attribute"},),
            "n None 1,None",
            id="attribute-without-operator",
        ),
        pytest.param(({},), "? None", id="empty-rule"),
    ],
)
def test_a_saved_filter_is_described_in_the_filters_words(
    rules: tuple[dict[str, Any], ...], shown: str
) -> None:
    assert SavedFilter(id="f", rules=rules).described() == shown
