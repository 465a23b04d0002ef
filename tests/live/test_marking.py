"""Marks: an ordered set of deployment ids, toggled, added to and cleared; and the ids
the embedded manager matches for a filter, which marking all that match marks."""

from __future__ import annotations

from tests.manager_process import DEMO_DEPLOYMENTS
from tests.wire import RecordingTransport
from tui.api import ManagerClient
from tui.live.marking import Marks, matching_ids


def test_marks_keep_the_order_they_were_made_in_and_count_what_is_new() -> None:
    marks = Marks()
    assert not marks and marks.ids == ()
    assert marks.toggle("web-2") is True
    assert marks.toggle("web-1") is True
    assert marks.add(["web-1", "db-1", "web-3"]) == 2  # web-1 was marked already
    assert marks.ids == ("web-2", "web-1", "db-1", "web-3")
    assert "db-1" in marks and "db-2" not in marks
    assert marks.toggle("web-1") is False  # again: unmarked
    assert marks.ids == ("web-2", "db-1", "web-3")
    assert marks.clear() == 3
    assert len(marks) == 0


def test_the_version_changes_with_every_change_and_only_then() -> None:
    """The deployments pane builds its rows again only when the version moved: a change
    that left it alone would leave a row drawn marked (or not) wrongly."""
    marks = Marks()
    seen = [marks.version]

    def moved() -> bool:
        seen.append(marks.version)
        return seen[-1] != seen[-2]

    marks.toggle("web-1")
    assert moved()
    marks.add(["web-1"])  # marked already: nothing changed
    assert not moved()
    marks.add(["web-2"])
    assert moved()
    marks.toggle("web-1")  # unmarked
    assert moved()
    marks.clear()
    assert moved()
    marks.clear()  # empty already
    assert not moved()


# -- matching_ids against the embedded manager -------------------------------------------


async def test_marking_all_that_match_asks_for_ids_only_by_id(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """Marking all that a filter matches must mark what the manager matches, not only
    the rows on screen: every page of ids, sorted, and nothing but ids."""
    client, transport = recorded
    assert await matching_ids(client, "web") == ["web-canary", "web-prod", "web-staging"]
    assert await matching_ids(client, "bp:webapp web-") == [
        "web-canary",
        "web-prod",
        "web-staging",
    ]
    assert await matching_ids(client, "") == DEMO_DEPLOYMENTS
    page = [("_size", "1000"), ("_offset", "0"), ("_sort", "id")]
    assert transport.sent() == [
        ("GET", "/api/v3.1/deployments", [*page, ("_search", "web"), ("_include", "id")]),
        (
            "GET",
            "/api/v3.1/deployments",
            [*page, ("blueprint_id", "webapp"), ("_search", "web-"), ("_include", "id")],
        ),
        ("GET", "/api/v3.1/deployments", [*page, ("_include", "id")]),
    ]


async def test_marking_all_that_match_labels_is_a_label_search(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, transport = recorded
    assert await matching_ids(client, "env=prod") == ["db-main", "db-replica", "web-prod"]
    ((method, path, query),) = transport.sent()
    assert (method, path) == ("POST", "/api/v3.1/searches/deployments")
    assert query == [("_size", "1000"), ("_offset", "0"), ("_sort", "id"), ("_include", "id")]
    assert transport.body(0) == {
        "filter_rules": [{"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"}]
    }
