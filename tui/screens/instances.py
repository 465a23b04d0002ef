"""`n`: a deployment's node instances, live: instance, state, node, host, index.

Opened from an execution (`n` there), it lists the instances that run touched, as
far as its events are loaded, with what it did to each: failed ones first, the
cursor on the first failure. From an instance, `h` starts `heal` on it and `o`
`execute_operation`, each in the start form prefilled with the instance.

One request per read (`GET /node-instances?deployment_id=`, the table's fields
only). It reads again every fast tick while an instance is in a passing state
(creating, stopping, ...), else every `IDLE_READ` seconds; never while live
updates are paused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Input, Static

from tui.api.models import Execution, NodeInstance
from tui.live.details import Instances, read_instances
from tui.live.trail import Trail
from tui.screens import flows
from tui.screens.keys import Key, KeyTable
from tui.screens.table_screen import IDLE_READ, TableScreen
from tui.widgets import fmt
from tui.widgets.glyphs import glyph, sep
from tui.widgets.instances import (
    InstancesTable,
    RunInstancesTable,
    instance_cells,
    matches,
    sort_key,
    transitional,
)
from tui.widgets.safe import clean, safe

# What an execution did to each instance so far, and whether its older events are
# not loaded (from its screen: `ExecutionScreen.instance_trails`).
TrailSource = Callable[[], tuple[Mapping[str, Trail], bool]]

KEYS = KeyTable(
    [
        Key("escape", "back", "Back", "instances.back"),
        Key("enter", "show_instance", "Details", "instances.details", explained=True),
        Key("h", "heal", "Heal", "instances.heal", "Start heal on this instance", mutating=True),
        Key(
            "o",
            "execute_operation",
            "Run operation",
            "instances.operation",
            "Start execute_operation on this instance",
            mutating=True,
        ),
        Key(
            "e",
            "events",
            "Its events",
            "instances.events",
            "The run's events of this instance (opened from an execution)",
            explained=True,
        ),
        Key("slash", "filter", "Filter", "instances.filter", "Filter by id, node, state, host"),
        Key("r", "refresh", "Refresh", "instances.refresh", "Read the instances now"),
        Key(
            "y",
            "raw",
            "Raw",
            "instances.raw",
            "The instance as the manager sent it",
            explained=True,
        ),
        Key("Y", "copy_id", "Copy id", "instances.copy_id", show=False, explained=True),
        Key("question_mark", "app.show_help", "Help", "instances.help", palette=False),
    ]
)
NEEDS_INSTANCE = frozenset(
    {"show_instance", "heal", "execute_operation", "raw", "copy_id", "events"}
)


class NodeInstancesScreen(TableScreen):
    KEYS = KEYS
    BINDINGS = KEYS.bindings()
    WHERE = "node instances"
    TABLE = "instances"
    FILTER = "instances-filter"

    def __init__(
        self,
        deployment_id: str,
        *,
        execution: Execution | None = None,
        trails: TrailSource | None = None,
        on_events: Callable[[str], None] | None = None,
    ) -> None:
        """`execution` and `trails`: the instances that run touched, as its screen has
        read its events so far, asked again every tick (and whether older events are
        not loaded, so that it may have touched more); `on_events(instance_id)`: show
        that instance's events on the execution's screen (`e`)."""
        super().__init__(classes="instances-screen")
        self._on_events = on_events
        self.deployment_id = deployment_id
        self.execution = execution
        self._trail_source = trails
        self.trails: dict[str, Trail] = {}
        self.partial = False
        self._follow_trails()
        self.instances = Instances()
        self._by_id: dict[str, NodeInstance] = {}
        self._placed = False  # the cursor went to the first failure once
        self._was_running = False

    def compose(self) -> ComposeResult:
        yield Static(id="instances-title", classes="bar", markup=False)
        yield Input(
            placeholder="filter instances (esc clears)", id="instances-filter", classes="filter-bar"
        )
        table_class = RunInstancesTable if self.execution is not None else InstancesTable
        yield table_class(id="instances", classes="instances-table")
        yield Static(id="instances-status", classes="bar", markup=False)
        yield Footer()

    def _follow_trails(self) -> None:
        if self._trail_source is None:
            return
        trails, partial = self._trail_source()
        if trails != self.trails or partial != self.partial:
            self.trails, self.partial = dict(trails), partial
            if self.is_mounted:
                self._show()

    # -- reading ------------------------------------------------------------------------
    def _deployment_runs(self) -> bool:
        """An execution of the deployment runs (the poller's list of what runs)."""
        return self.tui.poller.snapshot.active_for(self.deployment_id) is not None

    def read_interval(self) -> float:
        busy = self._deployment_runs() and any(transitional(i.state) for i in self.instances.items)
        return self.tui.fast_interval if busy else IDLE_READ

    def on_clock(self) -> None:
        self._follow_trails()
        running = self._deployment_runs()
        if running != self._was_running:
            # A run began or ended: the states it left are read now, not in 10 s
            # (an ended run's last `starting` is not drawn as stalled meanwhile).
            self._was_running = running
            self._read_at = None

    async def read_once(self) -> Instances:
        return await read_instances(self.tui.client, self.deployment_id)

    def show_read(self, instances: Instances) -> None:
        if instances.error and self.instances.items:
            # Keep what was read before on screen, and say it is old.
            self.instances = Instances(self.instances.items, self.instances.total, instances.error)
        else:
            self.instances = instances
        self._by_id = {i.id: i for i in self.instances.items}
        self._show()

    # -- showing ------------------------------------------------------------------------
    def _rows(self) -> list[NodeInstance]:
        needle = self.filter_bar.value.strip()
        if self.execution is None:
            chosen = sorted(self.instances.items, key=sort_key)
        else:  # touched by the run: failed first, then in the order the run reached them
            order = {key: n for n, key in enumerate(self.trails)}
            chosen = [self._by_id.get(key) or NodeInstance(key) for key in self.trails]
            chosen.sort(key=lambda i: (not self.trails[i.id].failed, order[i.id]))
        return [i for i in chosen if matches(i, needle)]

    def _show(self) -> None:
        app = self.tui
        rows = self._rows()
        stalled = not self._deployment_runs()
        self.table.apply_rows(
            [
                (
                    i.id,
                    instance_cells(
                        i, self.trails.get(i.id), app.palette, app.ascii_only, stalled=stalled
                    ),
                )
                for i in rows
            ]
        )
        if not self._placed and self.execution is not None and self._read_at is not None:
            failed = [key for key, trail in self.trails.items() if trail.failed]
            if failed:
                self.table.select_key(failed[0])
            self._placed = True
        self._show_title(len(rows))
        self._show_status()
        self.sync_keys()

    def _show_title(self, shown: int) -> None:
        ascii_only = self.tui.ascii_only
        title = Text("Node instances of ", style="bold")
        title.append_text(safe(self.deployment_id, "bold", limit=80, ascii_only=ascii_only))
        if self.execution is not None:
            title.append(" touched by ")
            title.append_text(safe(self.execution.workflow_id, limit=60, ascii_only=ascii_only))
            title.append(f" {fmt.short_id(self.execution.id)}")
        needle = self.filter_bar.value.strip()
        if needle:
            opening, closing = glyph("open_quote", ascii_only), glyph("close_quote", ascii_only)
            title.append(f" matching {opening}{clean(needle, limit=40)}{closing}")
        self.show_line("#instances-title", title)

    def _show_status(self) -> None:
        ascii_only = self.tui.ascii_only
        between = sep(ascii_only)
        line = Text()
        instances = self.instances
        if self._read_at is None:
            line.append(f"reading{glyph('more', ascii_only)}")
        elif self.execution is not None:
            failed = sum(1 for t in self.trails.values() if t.failed)
            line.append(f"{fmt.plural(len(self.trails), 'instance')} touched, {failed} failed")
            if self.partial:
                line.append(" (older events not loaded: o on the execution screen)")
            if not self.trails:
                line.append(": no event of this run names a node instance yet")
        else:
            line.append(fmt.plural(instances.total, "node instance"))
            if not instances.complete and not instances.error:
                line.append(f", the first {len(instances.items)} shown")
        if instances.error:
            line.append(between)
            line.append_text(safe(f"stale: {instances.error}", "bold", limit=200))
        elif self._read_at is not None:
            pace = (
                "every tick while a run changes them"
                if self.read_interval() < IDLE_READ
                else "every 10s"
            )
            line.append(f"{between}read {pace}")
        self.show_line("#instances-status", line)

    # -- keys ---------------------------------------------------------------------------
    @property
    def selected(self) -> NodeInstance | None:
        key = self.table.selected_key
        if key is None:
            return None
        return self._by_id.get(key) or NodeInstance(key, deployment_id=self.deployment_id)

    def why_not(self, action: str) -> str | None:
        if action == "events" and self._on_events is None:
            return "Open the node instances from an execution (n there) to see its events."
        if action in NEEDS_INSTANCE and self.selected is None:
            return "No node instance selected."
        return None

    @on(Input.Changed, "#instances-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show()

    @on(DataTable.RowSelected, "#instances")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_show_instance()

    def action_show_instance(self) -> None:
        instance = self.selected
        if instance is not None:
            self.run_flow(flows.show_instance(self.tui, instance.id, masked=True))

    def action_events(self) -> None:
        instance = self.selected
        if instance is not None and self._on_events is not None:
            self.dismiss()
            self._on_events(instance.id)

    def action_raw(self) -> None:
        instance = self.selected
        if instance is not None:
            self.run_flow(flows.show_instance(self.tui, instance.id, masked=False))

    def action_copy_id(self) -> None:
        instance = self.selected
        if instance is not None:
            flows.copy_id(self.tui, instance.id)

    def action_heal(self) -> None:
        instance = self.selected
        if instance is not None and self.refusal("heal") is None:
            values = {"node_instance_id": instance.id}
            self.run_flow(flows.scoped_start_flow(self.tui, self.deployment_id, "heal", values))

    def action_execute_operation(self) -> None:
        instance = self.selected
        if instance is not None and self.refusal("execute_operation") is None:
            values = {"node_instance_ids": [instance.id]}
            flow = flows.scoped_start_flow(
                self.tui, self.deployment_id, "execute_operation", values
            )
            self.run_flow(flow)
