"""The idle collector: CPython's full collections moved to the moments nobody waits
for the screen, and CPython's policy back when the app ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.manager_process import ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import ready
from tui.collector import FULL_AFTER, NEVER, OVERDUE, QUIET, IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def collector() -> Iterator[tuple[IdleCollector, Clock]]:
    before = gc.get_threshold()
    clock = Clock()
    collector = IdleCollector(clock)
    try:
        yield collector, clock
    finally:
        collector.stop()
        gc.unfreeze()
        assert gc.get_threshold() == before


def make_due() -> None:
    """Enough collections of the middle generation for CPython to consider a full one."""
    for _ in range(FULL_AFTER):
        gc.collect(1)


def test_start_freezes_and_turns_automatic_full_collections_off(collector) -> None:
    idle, _ = collector
    young, middle, _ = gc.get_threshold()
    idle.start()
    assert idle.started
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (young, middle, NEVER)
    idle.stop()
    assert not idle.started
    assert gc.get_threshold()[2] != NEVER


def test_nothing_runs_before_start_or_before_it_is_due(collector) -> None:
    idle, clock = collector
    make_due()
    clock.now += 100
    assert not idle.tick()  # not started: CPython's own policy is in charge
    idle.start()
    clock.now += 100
    assert not idle.due() and not idle.tick()


def test_a_due_collection_waits_for_a_pause_in_the_keys(collector) -> None:
    idle, clock = collector
    idle.start()
    make_due()
    idle.input_seen()
    clock.now += QUIET / 2
    assert idle.due() and not idle.tick()  # a key came just now
    clock.now += QUIET
    assert idle.tick()
    assert idle.collections == 1
    assert not idle.due()  # the full collection reset the count


def test_an_overdue_collection_runs_even_while_keys_keep_coming(collector) -> None:
    idle, clock = collector
    idle.start()
    make_due()
    clock.now += OVERDUE - 1
    idle.input_seen()
    assert not idle.tick()
    clock.now += 1
    idle.input_seen()
    assert idle.tick()


async def test_the_app_takes_over_after_the_first_data_and_gives_back_at_its_end(
    manager: ManagerProcess,
) -> None:
    """Started once the first deployments are on screen, told of every key, and
    CPython's thresholds back when the app is gone."""
    before = gc.get_threshold()
    app = make_app(manager)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot, app)
            await wait_until(pilot, lambda: app.collector.started, what="the collector")
            assert gc.get_threshold()[2] == NEVER
            quiet_since = app.collector._last_input
            await pilot.press("down")
            assert app.collector._last_input > quiet_since
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
