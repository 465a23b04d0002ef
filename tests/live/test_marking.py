"""Marks: an ordered set of deployment ids, toggled, added to and cleared."""

from __future__ import annotations

from tui.live.marking import Marks


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
