"""The embedded manager restarted again and again under a running app, including while a
start and a cancel are in flight: the app never crashes, says it is disconnected and
when it retries, keeps the last data marked stale, backs off up to a cap, and recovers
by itself within one retry of the manager coming back, selection and filter intact."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from tests.hardening.conftest import LoggedManager
from tests.hardening.figures import count
from tests.hardening.screen import Notes
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import http, main, ready, start_via_http, table
from tui.actions.start import StartRequest
from tui.api.models import Execution
from tui.live.snapshot import Snapshot
from tui.screens.flows import send_cancel, send_start

# The demo deployments whose id holds "web" (the filter of the test below).
WEB = {"web-prod", "web-staging", "web-canary"}

FIRST = 0.25
CAP = 2.0
OUTAGES = 12
# What the app may say about a start or a cancel cut by an outage.
OUTCOMES = ("Started", "Start outcome", "Start refused", "Cancel", "Could not check", "Kill")


class Recorder:
    """Every snapshot the poller publishes, with the time it was published."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # (when, snapshot, seconds until the announced retry, as of publishing)
        self.seen: list[tuple[float, Snapshot, float | None]] = []
        original: Callable[[Snapshot], None] = app.poller._on_snapshot

        def record(snapshot: Snapshot) -> None:
            retry_at = snapshot.connection.retry_at
            delay = None if retry_at is None else retry_at - app.clock()
            self.seen.append((time.monotonic(), snapshot, delay))
            original(snapshot)

        app.poller._on_snapshot = record

    def failures_since(self, since: float) -> list[tuple[float, float]]:
        """(when, announced delay until the next try) of each failed tick since `since`."""
        out = []
        previous = None
        for when, snap, delay in self.seen:
            conn = snap.connection
            if when < since or conn.connected or delay is None:
                continue
            if (conn.failures, conn.retry_at) == previous:
                continue  # the same failure republished (a pause, a selection)
            previous = (conn.failures, conn.retry_at)
            out.append((when, delay))
        return out

    def first_success_after(self, since: float) -> float | None:
        for when, snap, _ in self.seen:
            if when >= since and snap.connection.connected and snap.updated_at is not None:
                return when
        return None


def executions_of(manager: LoggedManager, dep_id: str, workflow: str) -> set[str]:
    with http(manager) as client:
        items = client.get(
            "/executions",
            params={"deployment_id": dep_id, "workflow_id": workflow, "_size": 1000},
        ).json()["items"]
    return {e["id"] for e in items}


def status_line(app: Any) -> str:
    return str(main(app).query_one("#status-line").render())


async def test_repeated_outages_with_a_start_and_a_cancel_in_flight(
    manager_factory: Callable[..., LoggedManager],
) -> None:
    manager = manager_factory(speed=1.0)
    app = make_app(manager, fast_interval=0.3, slow_interval=0.3)
    app.poller._backoff.first = FIRST
    app.poller._backoff.cap = CAP
    recorder = Recorder(app)
    notes = Notes(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot, app)
        # A filter and a selection that must survive every outage.
        await pilot.press("slash", *"web", "enter")
        await wait_until(pilot, lambda: main(app).snapshot.search == "web", what="the filter")
        deployments = table(app, "deployments")
        await wait_until(
            pilot,
            lambda: set(deployments.keys) == WEB,
            what="filtered rows",
        )
        deployments.focus()
        assert deployments.select_key("web-staging")
        await wait_until(
            pilot,
            lambda: (
                main(app).snapshot.detail is not None
                and main(app).snapshot.detail.id == "web-staging"
            ),
            what="web-staging's detail",
        )
        longest_delays: list[float] = []
        for outage in range(OUTAGES):
            kind = ("stop", "kill", "start in flight", "cancel in flight")[outage % 4]
            hold = 5.0 if outage == 5 else 0.4 + 0.2 * (outage % 3)  # one outage hits the cap
            mark = notes.mark()
            in_flight = None
            start_checked: set[str] = set()
            if kind == "start in flight":
                start_checked = executions_of(manager, "web-staging", "check_status")
                request = StartRequest("web-staging", "check_status", {}, force=True)
                in_flight = app.run_worker(send_start(app, request), exit_on_error=False)
                await asyncio.to_thread(manager.stop, True)
            elif kind == "cancel in flight":
                running = start_via_http(manager, "web-prod", "rolling_restart", force=True)
                target = next(
                    (e for e in app.poller.snapshot.active if e.id == running["id"]), None
                )
                if target is None:
                    target = Execution.from_json(running)
                assert target is not None
                in_flight = app.run_worker(send_cancel(app, target, "cancel"), exit_on_error=False)
                await asyncio.to_thread(manager.stop, True)
            else:
                await asyncio.to_thread(manager.stop, kind == "kill")
            down_at = time.monotonic()

            await wait_until(
                pilot, lambda: "disconnected" in status_line(app), what=f"outage {outage}"
            )
            await wait_until(
                pilot, lambda: "retrying in" in status_line(app), what="the time to retry"
            )
            shown = status_line(app)
            assert "(stale)" in shown, shown
            # The last data stays on screen, the selection and the filter with it.
            assert set(deployments.keys) == WEB
            assert deployments.selected_key == "web-staging"
            assert main(app).snapshot.selected == "web-staging"
            assert main(app).snapshot.search == "web"
            assert table(app, "workflows").row_count > 0
            await pilot.pause(max(0.0, hold - (time.monotonic() - down_at)))

            await asyncio.to_thread(manager.start)
            up_at = time.monotonic()
            await wait_until(
                pilot,
                lambda up_at=up_at: recorder.first_success_after(up_at) is not None,
                timeout=CAP + 10,
                what=f"recovery from outage {outage}",
            )
            recovered_at = recorder.first_success_after(up_at)
            assert recovered_at is not None
            # Within one retry: at most the try already on its way fails, then one works.
            after_up = recorder.failures_since(up_at)
            assert len(after_up) <= 1, after_up
            assert recovered_at - up_at <= CAP + 1.5, recovered_at - up_at
            delays = [d for _, d in recorder.failures_since(down_at) if _ < up_at]
            assert delays and max(delays) <= CAP + 0.05, delays
            assert all(b >= a - 0.05 for a, b in itertools.pairwise(delays)), delays  # growing
            longest_delays.append(max(delays))
            await wait_until(
                pilot, lambda: "● connected" in status_line(app), what="connected shown"
            )
            assert "(stale)" not in status_line(app)
            assert deployments.selected_key == "web-staging"
            assert main(app).snapshot.selected == "web-staging"
            assert main(app).snapshot.search == "web"
            assert set(deployments.keys) == WEB
            assert app._exception is None and app.is_running

            if in_flight is not None:
                await wait_until(pilot, lambda w=in_flight: w.is_finished, what="the action")
                said = notes.text_since(mark)
                assert any(word in said for word in OUTCOMES), said
                for title, message, _ in notes.since(mark):
                    said_what = title or " ".join(message.split()[:3])
                    count(f"outages: {kind}, the app said: {said_what}")
            if kind == "start in flight":
                new = executions_of(manager, "web-staging", "check_status") - start_checked
                assert len(new) <= 1, new  # never started twice
                text = notes.text_since(mark)
                if "did not start" in text:
                    assert not new, (text, new)
                if "It did start" in text or "Started" in text:
                    assert len(new) == 1, (text, new)
            count("outages survived")
        # The long outage reached the cap (1/4, 1/2, 1, 2, 2, ...), and no outage went past.
        assert max(longest_delays) > CAP - 0.1, longest_delays
    assert app._exception is None
