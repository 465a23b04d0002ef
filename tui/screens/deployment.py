"""`d`: one deployment in full: who and what it is, its labels, its node instances
counted by state, its inputs, and its outputs and capabilities as the manager
evaluates them now. Read once when opened and again on `r` (four concurrent
requests, `tui/live/details.py`); the title says as of when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from tui.live.details import Details, read_details
from tui.screens import flows
from tui.screens.instances import NodeInstancesScreen
from tui.screens.keyed import KeyedScreen
from tui.screens.keys import Key, KeyTable
from tui.widgets import fmt
from tui.widgets.details import (
    evaluated_text,
    instances_summary,
    labels_text,
    overview_text,
    values_text,
)
from tui.widgets.glyphs import glyph, sep
from tui.widgets.safe import safe

KEYS = KeyTable(
    [
        Key("escape", "back", "Back", "details.back"),
        Key("n", "instances", "Node instances", "details.instances"),
        Key("r", "reload", "Reload", "details.reload"),
        Key("y", "raw", "Raw", "details.raw"),
        Key("Y", "copy_id", "Copy id", "details.copy_id", show=False),
        Key("question_mark", "app.show_help", "Help", "details.help", palette=False),
    ]
)
SECTIONS = ("overview", "inputs", "outputs", "capabilities")
TITLES = {
    "overview": "Deployment",
    "inputs": "Inputs",
    "outputs": "Outputs",
    "capabilities": "Capabilities",
}


class DeploymentScreen(KeyedScreen):
    KEYS = KEYS
    BINDINGS = KEYS.bindings()
    WHERE = "deployment details"

    def __init__(self, deployment_id: str) -> None:
        super().__init__(classes="details-screen")
        self.deployment_id = deployment_id
        self.details: Details | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="details-title", classes="bar", markup=False)
        with VerticalScroll(id="details-body"):
            for section in SECTIONS:
                yield Static(id=f"details-{section}", classes="details-section", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        if self.gone:
            return
        for section in SECTIONS:
            self.query_one(f"#details-{section}").border_title = TITLES[section]
        self.query_one("#details-body").focus()
        self._show()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._read(), group="read", exclusive=True, exit_on_error=False)

    async def _read(self) -> None:
        self._show(loading=True)
        self.details = await read_details(self.tui.client, self.deployment_id, self.tui.clock)
        self._show()

    def _show(self, loading: bool = False) -> None:
        app = self.tui
        ascii_only = app.ascii_only
        title = Text("Deployment ", style="bold")
        title.append_text(safe(self.deployment_id, "bold", limit=100, ascii_only=ascii_only))
        details = self.details
        if loading:
            title.append(f"{sep(ascii_only)}reading{glyph('more', ascii_only)}")
        elif details is not None:
            read = datetime.fromtimestamp(details.read_at, tz=UTC).astimezone(fmt.zone(app.utc))
            title.append(f"{sep(ascii_only)}as of {read.strftime('%H:%M:%S')} (r reloads)")
        self.show_line("#details-title", title)
        if details is not None:
            for section, text in self._sections(details).items():
                self.query_one(f"#details-{section}", Static).update(text)

    def _sections(self, details: Details) -> dict[str, Text]:
        app = self.tui
        ascii_only = app.ascii_only
        deployment = details.deployment
        if deployment is None:
            gone = Text("This deployment could not be read: ", style="bold")
            gone.append_text(safe(details.error, limit=400, ascii_only=ascii_only))
            return {"overview": gone}
        raw = deployment.raw
        overview = overview_text(
            deployment,
            palette=app.palette,
            now=app.now(),
            tz=fmt.zone(app.utc),
            ascii_only=ascii_only,
        )
        overview.append(f"\n{'Labels':<14}", style="bold")
        overview.append_text(labels_text(deployment.labels, ascii_only=ascii_only))
        overview.append(f"\n{'Instances':<14}", style="bold")
        stalled = app.poller.snapshot.active_for(self.deployment_id) is None
        overview.append_text(
            instances_summary(
                details.instances, palette=app.palette, ascii_only=ascii_only, stalled=stalled
            )
        )
        overview.append("  n lists them", style="dim")
        return {
            "overview": overview,
            "inputs": values_text(deployment.inputs, {}, empty="no inputs", ascii_only=ascii_only),
            "outputs": evaluated_text(
                details.outputs,
                raw.get("outputs"),
                what="outputs",
                ascii_only=ascii_only,
                inputs=deployment.inputs,
            ),
            "capabilities": evaluated_text(
                details.capabilities,
                raw.get("capabilities"),
                what="capabilities",
                ascii_only=ascii_only,
                inputs=deployment.inputs,
            ),
        }

    def action_back(self) -> None:
        self.dismiss()

    def action_instances(self) -> None:
        self.app.push_screen(NodeInstancesScreen(self.deployment_id))

    def action_raw(self) -> None:
        read = self.details.deployment if self.details is not None else None
        fallback: Any = read.raw if read is not None else {}
        self.run_flow(flows.show_raw_deployment(self.tui, self.deployment_id, fallback))

    def action_copy_id(self) -> None:
        flows.copy_id(self.tui, self.deployment_id)
