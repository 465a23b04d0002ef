"""A large installation (the scale seed): the deployments pane holds one page from the
manager, turns pages on demand, filters on the server, and each poll tick costs the
same number of requests as with six deployments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual import events

from tests.hardening.conftest import LoggedManager
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import main, table

COUNT = 2000


@pytest.fixture(scope="module")
def scale_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedManager]:
    proc = LoggedManager(data=tmp_path_factory.mktemp("scale") / "manager", seed=f"scale:{COUNT}")
    proc.extra_args = ["--request-log", str(proc.log_path)]
    proc.start(timeout=120)
    try:
        yield proc
    finally:
        proc.stop()


async def test_pages_filters_and_constant_requests(scale_manager: LoggedManager) -> None:
    paths: list[str] = []
    app = make_app(scale_manager)
    app.client._on_request = lambda method, path, status, took: paths.append(path)
    async with app.run_test(size=(140, 40)) as pilot:
        deployments = table(app, "deployments")
        await wait_until(pilot, lambda: deployments.row_count > 0, what="first page")
        page = app.poller.deployments_page
        assert deployments.row_count == page < COUNT
        assert main(app).snapshot.deployments_total == COUNT
        title = main(app).query_one("#deployments-pane").border_title
        assert f"1–{page} of {COUNT}" in str(title)
        assert deployments.keys[0] == "dep-00000"

        # Moving past the last row fetches the next page from the manager.
        deployments.focus()
        deployments.move_cursor(row=deployments.row_count - 1)
        await pilot.press("down")
        await wait_until(
            pilot, lambda: main(app).snapshot.deployments_offset == page, what="the second page"
        )
        await wait_until(
            pilot,
            lambda: deployments.selected_key == f"dep-{page:05d}",
            what="the cursor on the first row of the new page",
        )
        assert deployments.row_count == page
        await pilot.press("up")
        await wait_until(
            pilot, lambda: main(app).snapshot.deployments_offset == 0, what="back to the first page"
        )
        await wait_until(
            pilot,
            lambda: deployments.selected_key == f"dep-{page - 1:05d}",
            what="the cursor on the last row",
        )

        # `/` filters on the server.
        await pilot.press("slash", *"dep-0123")
        await wait_until(
            pilot,
            lambda: deployments.keys == [f"dep-0123{i}" for i in range(10)],
            what="server-side filter results",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: deployments.row_count == page, what="filter cleared")

        # The same requests per tick as with the demo's six deployments, counted on the
        # wire (the manager's own request log), not by the poller's own counter.
        await pilot.pause(1.0)
        mark = scale_manager.mark()
        ticks = app.poller._ticks
        await pilot.pause(3 * app.poller.slow_interval + 0.5)
        sent = scale_manager.requests_since(mark)
        ticked = app.poller._ticks - ticks
        assert ticked >= 3, ticked
        assert len(sent) <= 3 * ticked, (ticked, [r["path"] for r in sent])
        # Never one request per deployment: at most the selected one is read by id.
        by_id = {r["path"] for r in sent if r["path"].startswith("/api/v3.1/deployments/")}
        selected = main(app).snapshot.selected
        assert by_id <= {f"/api/v3.1/deployments/{selected}"}, by_id
        assert all(p.startswith("/api/v3.1/") or p == "/api/version" for p in paths)


async def test_page_turns_and_a_cleared_filter_keep_the_object(
    scale_manager: LoggedManager,
) -> None:
    """No page turn is lost while the page is on its way, and clearing a filter shows
    the page that holds the deployment under the cursor (not the first page)."""
    app = make_app(scale_manager)
    async with app.run_test(size=(140, 40)) as pilot:
        deployments = table(app, "deployments")
        await wait_until(pilot, lambda: deployments.row_count > 0, what="first page")
        page = app.poller.deployments_page
        deployments.focus()

        def at(offset: int, key: str) -> bool:
            snapshot = main(app).snapshot
            return (
                snapshot.deployments_offset == offset
                and deployments.selected_key == key
                and snapshot.selected == key
            )

        # Two page-downs at the boundary while nothing arrives (paused): both count.
        deployments.move_cursor(row=page - 1)
        await pilot.press("p", "pagedown", "pagedown", "p")
        await wait_until(pilot, lambda: at(2 * page, f"dep-{2 * page:05d}"), what="page 3")
        await pilot.press("p", "pageup", "pageup", "p")
        await wait_until(pilot, lambda: at(0, f"dep-{page - 1:05d}"), what="page 1, last row")

        # G and g: the last and first deployment of the whole list.
        await pilot.press("G")
        last = (COUNT - 1) // page * page
        await wait_until(pilot, lambda: at(last, f"dep-{COUNT - 1:05d}"), what="the very last")
        await pilot.press("g")
        await wait_until(pilot, lambda: at(0, "dep-00000"), what="the very first")

        # A filter keeps the cursor's deployment when it matches; clearing the filter
        # comes back to the page that holds it.
        deployments.move_cursor(row=page - 1)
        await pilot.press("down")
        await wait_until(pilot, lambda: at(page, f"dep-{page:05d}"), what="page 2")
        assert deployments.select_key("dep-00343")
        await wait_until(pilot, lambda: at(page, "dep-00343"), what="dep-00343")
        await pilot.press("slash", *"dep-0034")
        await wait_until(
            pilot,
            lambda: deployments.keys == [f"dep-0034{i}" for i in range(10)],
            what="filtered",
        )
        assert at(0, "dep-00343")
        await pilot.press("escape")
        await wait_until(pilot, lambda: deployments.row_count == page, what="filter cleared")
        await wait_until(pilot, lambda: at(page, "dep-00343"), what="the same deployment")


async def test_the_wheel_turns_pages_at_either_end_one_at_a_time(
    scale_manager: LoggedManager,
) -> None:
    """The wheel scrolls a page's rows; past its last row it turns to the next page,
    and a fast wheel (many turns before the page arrives) turns only one."""
    app = make_app(scale_manager)
    async with app.run_test(size=(140, 40)) as pilot:
        deployments = table(app, "deployments")
        await wait_until(pilot, lambda: deployments.row_count > 0, what="first page")
        page = app.poller.deployments_page

        async def wheel(down: bool, times: int = 1) -> None:
            event = events.MouseScrollDown if down else events.MouseScrollUp
            for _ in range(times):
                await pilot._post_mouse_events([event], "#deployments", offset=(5, 5))

        await wheel(down=True)
        assert main(app).snapshot.deployments_offset == 0  # scrolled within the page
        deployments.scroll_end(animate=False)
        await pilot.pause()
        await wheel(down=True, times=5)
        await wait_until(
            pilot, lambda: main(app).snapshot.deployments_offset == page, what="page 2"
        )
        await pilot.pause(3 * app.poller.slow_interval)
        assert main(app).snapshot.deployments_offset == page  # one turn, not five
        deployments.scroll_home(animate=False)
        await pilot.pause()
        await wheel(down=False)
        await wait_until(
            pilot, lambda: main(app).snapshot.deployments_offset == 0, what="back to page 1"
        )
