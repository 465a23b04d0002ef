"""The deployments filter as typed, read into the manager's own filtering."""

from __future__ import annotations

import pytest

from tui.api.queries import DeploymentQuery
from tui.live.deployment_filter import FilterError, parse


def test_labels_attributes_statuses_and_words() -> None:
    query = parse("env=prod region!=eu,us web blueprint:webapp front")
    assert query.text == "web front"
    assert query.labels == (
        {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"},
        {"key": "region", "values": ["eu", "us"], "operator": "not_any_of", "type": "label"},
    )
    assert query.searches
    assert query.rules()[-1] == {
        "key": "blueprint_id",
        "values": ["webapp"],
        "operator": "any_of",
        "type": "attribute",
    }


def test_without_labels_every_filter_is_a_plain_one() -> None:
    query = parse("status:failed bp:db site:paris status:attention")
    assert not query.searches
    assert query.params == (
        ("latest_execution_status", "failed"),
        ("blueprint_id", "db"),
        ("site_name", "paris"),
        ("deployment_status", "requires_attention"),
    )
    assert parse("status:installed env=prod").rules()[-1]["key"] == "installation_status"


def test_what_the_manager_cannot_do_is_said_not_guessed() -> None:
    with pytest.raises(FilterError, match="label search ignores it"):
        parse("env=prod status:failed")
    for wrong in ("env=", "status:sideways", "colour:red", "status:"):
        with pytest.raises(FilterError):
            parse(wrong)


def test_plain_words_are_a_piece_of_the_id() -> None:
    assert parse("dep-0012") == DeploymentQuery(text="dep-0012")
    assert parse("") == DeploymentQuery()
