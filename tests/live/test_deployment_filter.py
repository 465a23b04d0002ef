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


SYNTAX = "env=prod region!=eu status:failed blueprint:webapp (and words of the id)"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param("env=", f"'env=' names no value: {SYNTAX}", id="label-without-value"),
        pytest.param("web env!=,", f"'env!=,' names no value: {SYNTAX}", id="label-only-commas"),
        pytest.param("status:", f"'status:' names no value: {SYNTAX}", id="named-without-value"),
        pytest.param(
            "status:sideways",
            "status:sideways is not a status: use one of good, requires_attention, attention, "
            "in_progress, failed, completed, cancelled, installed, not_installed",
            id="unknown-status",
        ),
        pytest.param(
            "colour:red", f"'colour:red': colour: is not a filter word: {SYNTAX}", id="unknown-word"
        ),
        pytest.param(
            "env=prod status:failed",
            "labels cannot be combined with a deployment or latest execution status: "
            "the manager's label search ignores it",
            id="labels-and-status",
        ),
    ],
)
def test_the_reason_a_filter_cannot_be_read_is_said_word_for_word(typed: str, message: str) -> None:
    """The filter bar shows the message as it is: it names the word that is wrong."""
    with pytest.raises(FilterError) as info:
        parse(typed)
    assert str(info.value) == message


def test_a_named_value_keeps_its_own_colons() -> None:
    """Only the first `:` ends the word's name: `blueprint:web:v2` is blueprint `web:v2`."""
    assert parse("blueprint:web:v2 STATUS:Failed").params == (
        ("blueprint_id", "web:v2"),
        ("latest_execution_status", "failed"),
    )


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("filter:prod-eu", "prod-eu"),
        ("saved:prod-eu", "prod-eu"),
        ("Filter:prod-eu", "prod-eu"),
        ("SAVED:prod-eu", "prod-eu"),
        ("filter:team:prod", "team:prod"),
    ],
)
def test_a_saved_filter_is_named_by_its_id(typed: str, saved: str) -> None:
    query = parse(f"web {typed} bp:webapp")
    assert query == DeploymentQuery(text="web", params=(("blueprint_id", "webapp"),), saved=saved)
