"""The watch list on its own: which executions it follows, and which of them it says
have ended (once each, only after being seen unfinished)."""

from __future__ import annotations

from tui.api.models import Execution
from tui.live.watch import WatchList


def run(exec_id: str, status: str) -> Execution:
    return Execution(exec_id, deployment_id="web", workflow_id="install", status=status)


def test_pinned_first_then_started_each_once() -> None:
    watch = WatchList()
    watch.add_started(run("b", "pending"))
    assert watch.toggle_pin(run("a", "started")) is True
    watch.toggle_pin(run("b", "pending"))
    assert watch.ids() == ["a", "b"]
    assert watch.toggle_pin(run("a", "started")) is False
    assert watch.ids() == ["b"]


def test_an_end_is_reported_once_after_an_unfinished_state() -> None:
    watch = WatchList()
    watch.add_started(run("s", "pending"))
    watch.toggle_pin(run("p", "started"))
    watch.toggle_pin(run("old", "failed"))  # pinned after it ended: never reported
    assert watch.update([run("s", "started"), run("p", "started"), run("old", "failed")]) == []
    ended = watch.update([run("s", "terminated"), run("p", "cancelled"), run("old", "failed")])
    assert [e.id for e in ended] == ["s", "p"]
    # started here: dropped once ended; pinned: kept, with its end state
    assert "s" not in watch.started and watch.pinned["p"].status == "cancelled"
    assert watch.update([run("p", "cancelled")]) == []


def test_fresh_copies_win_and_clear_forgets_everything() -> None:
    watch = WatchList()
    watch.add_started(run("s", "pending"))
    watch.toggle_pin(run("p", "pending"))
    shown = watch.executions([run("p", "started")])
    assert [(e.id, e.status) for e in shown] == [("p", "started"), ("s", "pending")]
    watch.clear()
    assert watch.ids() == [] and watch.update([run("s", "terminated")]) == []


def test_an_end_at_the_first_update_is_reported() -> None:
    """Started here or pinned while unfinished, then seen ended at once: the state
    known when it was added counts as the one before."""
    watch = WatchList()
    watch.add_started(run("s", "pending"))
    watch.toggle_pin(run("p", "started"))
    ended = watch.update([run("s", "terminated"), run("p", "failed")])
    assert [e.id for e in ended] == ["s", "p"]


def test_the_list_keeps_what_it_was_given_until_fresher() -> None:
    watch = WatchList()
    watch.add_started(run("s", "pending"))
    watch.toggle_pin(run("p", "started"))
    assert [(e.id, e.status) for e in watch.executions([])] == [
        ("p", "started"),
        ("s", "pending"),
    ]
    watch.update([run("s", "started")])
    assert watch.started["s"].status == "started"
