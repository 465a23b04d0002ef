"""The floor of this app's first screen: run in a pseudo-terminal by
`bench_tui_startup.py` (not a pytest test, not meant to be run by hand).

A plain Textual app with the main screen's widget tree (the containers, the filter
`Input`, three `DataTable`s, the three bars and the `Footer`, with the same ids and
classes), the app's own stylesheet, and the demo deployments' rows written in: no
manager, no HTTP, none of cfy-tui's modules. What it takes to put those rows on screen
is what Textual needs for this layout; cfy-tui can only come close to it, and the
difference is the price of its own code (imports, the client, the poller, the
requests). Any key quits.

    python tests/benchmarks/layout_floor.py STYLESHEET
"""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.widgets import DataTable, Footer, Input, Static

# The demo seed's deployments, as the deployments pane shows them.
ROWS = [
    ("✓", "analytics", "analytics", "good", "install ✓", "env=dev team=analytics"),
    ("✗", "db-main", "database", "requires_attention", "backup ✗", "env=prod team=data"),
    ("✓", "db-replica", "database", "requires_attention", "create ✓", "env=prod team=data"),
    ("✗", "web-canary", "webapp", "requires_attention", "install ✗", "env=canary team=web"),
    ("✓", "web-prod", "webapp", "good", "rolling_restart ✓", "env=prod team=web"),
    ("✓", "web-staging", "webapp", "good", "check_status ✓", "env=staging team=web"),
]
WORKFLOWS = ["check_drift", "check_status", "heal", "install", "reinstall", "restart"]


class LayoutFloor(App[None]):
    BINDINGS = [
        Binding("s", "noop", "Start"),
        Binding("c", "noop", "Cancel"),
        Binding("slash", "noop", "Filter"),
        Binding("question_mark", "noop", "Help"),
    ]

    def __init__(self, stylesheet: str) -> None:
        self.CSS_PATH = [stylesheet]
        super().__init__()

    def compose(self) -> ComposeResult:
        with Vertical(id="panes"):
            with Horizontal(id="top"):
                with Vertical(id="deployments-pane", classes="pane -wide"):
                    yield Input(id="filter", classes="filter-bar")
                    yield DataTable(id="deployments")
                with Vertical(id="workflows-pane", classes="pane -narrow"):
                    yield DataTable(id="workflows")
            with Vertical(id="executions-pane", classes="pane"):
                yield DataTable(id="executions")
        yield Static(id="watch-bar", classes="bar")
        yield Static(id="error-line", classes="bar")
        yield Static("default_tenant · admin · updated just now", id="status-line", classes="bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#watch-bar").display = False
        self.query_one("#error-line").display = False
        deployments = self.query_one("#deployments", DataTable)
        deployments.add_columns("", "Deployment", "Blueprint", "Status", "Last run", "Labels")
        deployments.add_rows(ROWS)
        workflows = self.query_one("#workflows", DataTable)
        workflows.add_column("Workflow")
        workflows.add_rows([(name,) for name in WORKFLOWS])
        executions = self.query_one("#executions", DataTable)
        executions.add_columns("", "Workflow", "Status", "Started", "Duration")
        executions.add_row("✓", "install", "terminated", "2026-11-27 02:17", "0:20")
        deployments.focus()

    def action_noop(self) -> None:
        """The footer's keys are for show."""

    def on_key(self, event: Key) -> None:
        self.exit()


if __name__ == "__main__":
    LayoutFloor(str(Path(sys.argv[1]).resolve())).run()
