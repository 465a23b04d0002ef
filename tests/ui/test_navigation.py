"""Getting around: the deployments sorted by the manager (`o`, `O`, a header click),
the palette's jump to a deployment found by the manager, custom workflows first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.hardening.conftest import LoggedManager, wire_manager
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import http, main, palette_would_run, ready, select_deployment, table
from tui.app import CfyTuiApp
from tui.widgets.panes import BUILT_IN_PLUGIN


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[LoggedManager]:
    with wire_manager(tmp_path / "manager") as proc:
        yield proc


def deployment_sorts(manager: LoggedManager, mark: int) -> list[list[str]]:
    """The `_sort` of each full page of deployments read since `mark`."""
    return [
        parse_qs(r["query"]).get("_sort", [])
        for r in manager.requests_since(mark)
        if r["path"] == "/api/v3.1/deployments" and "_offset" in r["query"]
    ]


async def sorted_by(pilot: Pilot[Any], app: CfyTuiApp, keys: tuple[str, ...]) -> list[str]:
    await wait_until(pilot, lambda: main(app).snapshot.sort == keys, what=f"sorted by {keys}")
    return table(app, "deployments").keys


async def test_o_sorts_on_the_manager_and_O_reverses(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(200, 40)) as pilot:  # wide enough for a Name column
        await select_deployment(pilot, app, "db-main")
        names = {d.id: d.display_name for d in main(app).snapshot.deployments}
        mark = wire.mark()
        await pilot.press("o")
        by_name = await sorted_by(pilot, app, ("display_name", "id"))
        assert by_name == sorted(names, key=lambda d: (names[d], d))
        assert ["display_name", "id"] in deployment_sorts(wire, mark)
        title = str(main(app).query_one("#deployments-pane").border_title)
        assert title.startswith("Deployments, by name ▲")
        header = table(app, "deployments").columns["name"].label.plain  # type: ignore[index]
        assert header == "Name ▲"
        await pilot.press("O")
        assert await sorted_by(pilot, app, ("-display_name", "id")) == list(reversed(by_name))
        # The cursor stayed on the deployment it was on, whatever its new place.
        assert table(app, "deployments").selected_key == "db-main"


async def test_a_click_on_a_header_sorts_by_it_and_again_reverses(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot, app)
        deployments = table(app, "deployments")
        x = 1
        for column in deployments._visible:
            if column.key == "status":
                break
            x += column.width + 2
        await pilot.click("#deployments", offset=(x + 1, 0))
        statuses = await sorted_by(pilot, app, ("deployment_status", "id"))
        shown = {d.id: d.deployment_status for d in main(app).snapshot.deployments}
        assert statuses == sorted(shown, key=lambda d: (shown[d], d))
        await pilot.click("#deployments", offset=(x + 1, 0))
        await sorted_by(pilot, app, ("-deployment_status", "id"))


async def test_the_palette_jumps_to_a_deployment_the_manager_finds(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "analytics")
        mark = wire.mark()
        await pilot.press("ctrl+p")
        await pilot.press(*"db-rep")
        await wait_until(
            pilot,
            lambda: palette_would_run(app, "Go to deployment db-replica"),
            what="the deployment found",
        )
        searches = [
            parse_qs(r["query"]).get("_search")
            for r in wire.requests_since(mark)
            if r["path"] == "/api/v3.1/deployments"
        ]
        assert ["db-rep"] in searches
        await pilot.press("enter")
        deployments = table(app, "deployments")
        await wait_until(
            pilot, lambda: deployments.selected_key == "db-replica", what="the cursor on it"
        )
        assert main(app).snapshot.search == "db-replica"
        assert "matching “db-replica”" in str(main(app).query_one("#deployments-pane").border_title)
        await pilot.press("escape")  # the filter clears as any filter does
        await wait_until(pilot, lambda: not main(app).snapshot.search, what="the whole list")
        assert deployments.selected_key == "db-replica"


async def test_custom_workflows_come_before_the_built_in_ones(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "db-main")
        detail = main(app).snapshot.detail
        assert detail is not None
        custom = [w.name for w in detail.workflows if w.plugin != BUILT_IN_PLUGIN]
        built_in = [w.name for w in detail.workflows if w.plugin == BUILT_IN_PLUGIN]
        assert custom and built_in
        assert table(app, "workflows").keys == custom + built_in


async def test_a_label_filter_is_the_manager_s_label_search(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(260, 40)) as pilot:  # wide enough for the labels
        await select_deployment(pilot, app, "web-prod")
        deployments = table(app, "deployments")
        labels = {
            d.id: {(label.key, label.value) for label in d.labels}
            for d in main(app).snapshot.deployments
        }
        prod_web = sorted(
            d for d, pairs in labels.items() if {("env", "prod"), ("team", "web")} <= pairs
        )
        assert prod_web and len(prod_web) < len(labels)
        assert "env=prod" in deployments.get_cell("web-prod", "labels").plain
        mark = wire.mark()
        await pilot.press("slash", *"env=prod team=web")
        await wait_until(pilot, lambda: deployments.keys == prod_web, what="prod web deployments")
        searches = [
            r for r in wire.requests_since(mark) if r["path"].startswith("/api/v3.1/searches/")
        ]
        assert searches and searches[-1]["method"] == "POST"
        assert searches[-1]["body"] == {
            "filter_rules": [
                {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"},
                {"key": "team", "values": ["web"], "operator": "any_of", "type": "label"},
            ]
        }
        assert "matching “env=prod team=web”" in str(
            main(app).query_one("#deployments-pane").border_title
        )
        # A status beside labels is not something the manager's search can do: said,
        # and the list stays what it was.
        field = main(app).query_one("#filter", Input)
        field.insert_text_at_cursor(" status:failed")  # pasted: one change
        await wait_until(
            pilot,
            lambda: (
                "filter not applied" in str(main(app).query_one("#deployments-pane").border_title)
            ),
            what="the reason",
        )
        assert field.has_class("-invalid")
        assert deployments.keys == prod_web
        error_line = main(app).query_one("#error-line")
        assert error_line.display
        assert "filter not applied: labels cannot be combined" in str(error_line.render())
        await pilot.press("escape")  # cleared, and the reason with it
        await wait_until(pilot, lambda: not error_line.display, what="the line to go")


async def test_a_saved_filter_from_the_palette(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        deployments = table(app, "deployments")
        with http(wire) as client:
            saved = client.get("/filters/deployments/prod-eu").json()
            expected = client.get(
                "/deployments", params={"_filter_id": "prod-eu", "_include": "id", "_sort": "id"}
            ).json()
        wanted = [d["id"] for d in expected["items"]]
        assert wanted and saved["id"] == "prod-eu"
        await pilot.press("ctrl+p")
        await pilot.press(*"prod-eu")
        await wait_until(
            pilot,
            lambda: palette_would_run(app, "Filter deployments: prod-eu"),
            what="the saved filter",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: deployments.keys == wanted, what="its deployments")
        assert main(app).snapshot.search == "filter:prod-eu"


@pytest.mark.parametrize("key", ["d", "n", "x"])
async def test_a_screen_key_pressed_as_the_app_quits_is_harmless(
    wire: LoggedManager, key: str
) -> None:
    """`q` then a key that opens a screen: the screen is pushed as the app closes, and
    Textual mounts none of its children; it must not fail looking for them."""
    app = make_app(wire)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        app.exit()  # as `q` does; the key arrives while the app closes
        await app.main_screen.run_action(
            {"d": "details", "n": "instances", "x": "running_everywhere"}[key]
        )
    assert app._exception is None, app._exception
    assert app.return_code in (None, 0)


async def test_fast_presses_of_o_each_go_one_column_further(wire: LoggedManager) -> None:
    """`o` pressed again before the sorted page arrived counts from the order asked
    for, not from the one still shown."""
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        await pilot.press("p", "o", "o", "o", "p")  # paused: nothing arrives meanwhile
        await sorted_by(pilot, app, ("latest_execution_status", "id"))
