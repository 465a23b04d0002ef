"""The Textual application: owns the client and the poller, and carries out what
screens ask for (start, cancel) in workers that never crash the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.command import Hit, Hits, Provider

from tui.api.client import ManagerClient
from tui.api.errors import (
    ApiError,
    ManagerError,
    NotFound,
    RunningExecutionConflict,
    TransportError,
)
from tui.api.models import Execution, Workflow, parse_time
from tui.live.poller import Poller
from tui.live.snapshot import Snapshot
from tui.messages import SnapshotReady
from tui.screens.confirm import Choice, ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.start import StartRequest, StartScreen
from tui.widgets.panes import short_id
from tui.widgets.safe import clean, safe
from tui.widgets.status import Palette, palette_from_theme
from tui.widgets.status_line import Identity


def styles_dir() -> Path:
    """`styles/` at the top of a checkout, or `tui/styles` inside an installed wheel."""
    packaged = Path(__file__).parent / "styles"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "styles"


class ActionsProvider(Provider):
    """Every action of the main screen as a command (mutating ones hidden when
    read-only)."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, CfyTuiApp)
        main = app.main_screen
        if main is None:
            return
        matcher = self.matcher(query)
        for name, help_text, callback in main.command_actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class CfyTuiApp(App[None]):
    TITLE = "cfy-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", show=False, id="app.quit", priority=True),
    ]

    def __init__(
        self,
        client: ManagerClient,
        identity: Identity,
        *,
        read_only: bool = False,
        ascii_only: bool = False,
        clock: Callable[[], float] = time.time,
        fast_interval: float = 1.0,
        slow_interval: float = 5.0,
    ) -> None:
        super().__init__()
        self.client = client
        self.identity = identity
        self.read_only = read_only
        self.ascii_only = ascii_only
        self.clock = clock
        self.manager_version: str | None = None
        self.palette: Palette = palette_from_theme(None)
        self.poller = Poller(
            client,
            on_snapshot=self._on_snapshot,
            fast_interval=fast_interval,
            slow_interval=slow_interval,
            clock=clock,
        )
        self.main_screen: MainScreen | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def on_mount(self) -> None:
        self.palette = palette_from_theme(self.current_theme)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.main_screen = MainScreen()
        self.push_screen(self.main_screen)
        self.run_worker(
            self.poller.run(), name="poller", group="poll", exclusive=True, exit_on_error=False
        )
        self.run_worker(self._load_version(), name="version", exit_on_error=False)

    def _theme_changed(self, theme: Any) -> None:
        self.palette = palette_from_theme(theme)
        if self.main_screen is not None:
            self.main_screen.apply_snapshot(self.poller_snapshot)

    async def _load_version(self) -> None:
        try:
            self.manager_version = (await self.client.version()).version
        except ApiError:
            self.manager_version = None

    async def on_unmount(self) -> None:
        await self.client.aclose()

    # -- the poller ----------------------------------------------------------------------
    @property
    def poller_snapshot(self) -> Snapshot:
        return self.poller.snapshot

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self.main_screen is not None:
            self.main_screen.post_message(SnapshotReady(snapshot))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def select_deployment(self, deployment_id: str | None) -> None:
        self.poller.select(deployment_id)

    def set_search(self, text: str) -> None:
        self.poller.set_search(text)

    def refresh_now(self) -> None:
        self.poller.refresh_now()

    def toggle_pause(self) -> None:
        if self.poller.snapshot.paused:
            self.poller.resume()
            self.notify("Live updates resumed.")
        else:
            self.poller.pause()
            self.notify("Live updates paused: press p to resume.")

    def action_show_help(self) -> None:
        rows = self.main_screen.help_rows() if self.main_screen else []
        rows.append(("ctrl+p", "Command palette: every action by name", "everywhere"))
        note = "Read-only mode: starting and cancelling are disabled." if self.read_only else ""
        self.push_screen(HelpScreen(rows, note))

    # -- starting --------------------------------------------------------------------------
    def open_start(
        self,
        deployment_id: str,
        workflow: Workflow,
        *,
        force: bool,
        values: dict[str, Any] | None = None,
    ) -> None:
        if self.read_only:
            self.notify("Read-only mode: starting is disabled.", severity="warning")
            return

        def submitted(request: StartRequest | None) -> None:
            if request is not None:
                self._confirm_and_start(request)

        self.push_screen(
            StartScreen(
                deployment_id, workflow, force=force, tenant=self.identity.tenant, values=values
            ),
            submitted,
        )

    def _running_beside(self, deployment_id: str) -> list[Execution]:
        return [e for e in self.poller.snapshot.active if e.deployment_id == deployment_id]

    def _confirm_and_start(self, request: StartRequest) -> None:
        running = self._running_beside(request.deployment_id) if request.force else []
        if not running:
            self.run_worker(self._start(request), group="actions", exit_on_error=False)
            return
        body = [
            safe(
                f"Force-start {request.workflow_id} on {request.deployment_id}? It will run "
                "beside:",
                single_line=False,
            )
        ]
        body += [self._execution_line(e) for e in running]

        def chosen(choice: str | None) -> None:
            if choice == "force":
                self.run_worker(self._start(request), group="actions", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(
                "Force start",
                body,
                [Choice("back", "Back"), Choice("force", "Force start", "warning")],
            ),
            chosen,
        )

    def _execution_line(self, execution: Execution) -> Text:
        line = Text("  ")
        line.append_text(safe(short_id(execution.id), "bold"))
        line.append(" ")
        line.append_text(safe(execution.workflow_id))
        line.append(" (")
        line.append_text(safe(execution.status))
        line.append(")")
        return line

    async def _start(self, request: StartRequest) -> None:
        sent_at = self.clock()
        try:
            execution = await self.client.start_execution(
                request.deployment_id,
                request.workflow_id,
                request.parameters,
                force=request.force,
                dry_run=request.dry_run,
                queue=request.queue,
                allow_custom_parameters=request.allow_custom,
            )
        except RunningExecutionConflict as conflict:
            self._show_conflict(request, conflict)
            return
        except ManagerError as error:
            self.notify(
                clean(error.message, limit=600),
                title="Start refused",
                severity="error",
                markup=False,
                timeout=10,
            )
            return
        except TransportError as error:
            await self._after_ambiguous_start(request, error, sent_at)
            return
        self._started(request, execution)

    def _started(self, request: StartRequest, execution: Execution) -> None:
        self.poller.note_started(execution)
        what = f"{request.workflow_id} on {request.deployment_id} ({short_id(execution.id)})"
        if execution.status == "queued":
            self.notify(
                f"Queued: {what} starts when the running execution ends.",
                title="Queued",
                markup=False,
            )
        else:
            self.notify(f"Started {what}.", title="Started", markup=False)
        if self.main_screen is not None:
            self.call_after_refresh(self.main_screen.select_execution, execution.id)

    def _show_conflict(self, request: StartRequest, conflict: RunningExecutionConflict) -> None:
        known = {e.id: e for e in self.poller.snapshot.active}
        body = [safe(f"{request.deployment_id} is busy. Running now:")]
        for exec_id in conflict.blocking_ids or []:
            execution = known.get(exec_id)
            if execution is not None:
                body.append(self._execution_line(execution))
            else:
                body.append(Text("  ").append_text(safe(exec_id)))
        if not conflict.blocking_ids:
            body.append(safe(conflict.message, limit=400, single_line=False))

        def chosen(choice: str | None) -> None:
            if choice == "force":
                retry = StartRequest(**{**request.__dict__, "force": True, "queue": False})
            elif choice == "queue":
                retry = StartRequest(
                    **{**request.__dict__, "queue": True, "force": False, "dry_run": False}
                )
            else:
                return
            self.run_worker(self._start(retry), group="actions", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(
                "Another execution is running",
                body,
                [
                    Choice("back", "Back"),
                    Choice("queue", "Queue it"),
                    Choice("force", "Force start", "warning"),
                ],
            ),
            chosen,
        )

    async def _after_ambiguous_start(
        self, request: StartRequest, error: TransportError, sent_at: float
    ) -> None:
        """The start may or may not have happened: look, never retry blindly."""
        message = f"No answer to the start of {request.workflow_id} on {request.deployment_id} "
        message += f"({clean(error.message, limit=200)}). "
        try:
            page = await self.client.list_executions(deployment_id=request.deployment_id, size=20)
        except ApiError:
            self.notify(
                message + "Could not check whether it started: look before retrying.",
                title="Start outcome unknown",
                severity="error",
                markup=False,
                timeout=15,
            )
            return
        candidates = [
            e
            for e in page.items
            if e.workflow_id == request.workflow_id
            and (created := _epoch(e.created_at)) is not None
            and created >= sent_at - 5
        ]
        if candidates:
            found = candidates[0]
            self.notify(
                message + f"It did start: execution {short_id(found.id)} is {found.status}.",
                title="Start outcome checked",
                markup=False,
                timeout=15,
            )
            self.poller.note_started(found)
        else:
            self.notify(
                message + "No new execution was found: it did not start. Start it "
                "again if you still want it.",
                title="Start outcome checked",
                severity="warning",
                markup=False,
                timeout=15,
            )

    # -- cancelling -----------------------------------------------------------------------
    def open_cancel(self, execution: Execution) -> None:
        if self.read_only:
            self.notify("Read-only mode: cancelling is disabled.", severity="warning")
            return
        target = execution  # captured now: the dialog acts on this id, whatever moves
        what = Text()
        what.append_text(safe(short_id(target.id), "bold"))
        what.append(" (")
        what.append_text(safe(target.workflow_id))
        what.append(" on ")
        what.append_text(safe(target.deployment_id))
        what.append(f", {clean(target.status, limit=30)})")
        if target.is_ended:
            self.notify(
                f"Execution {short_id(target.id)} already ended ({target.status}); "
                "there is nothing to cancel.",
                markup=False,
            )
            return
        if target.status in ("force_cancelling", "kill_cancelling"):
            choices = [Choice("back", "Back"), Choice("kill", "Kill…", "error")]
            title = "Execution is already being force-cancelled"
        elif target.status == "cancelling":
            choices = [
                Choice("back", "Back"),
                Choice("force-cancel", "Force-cancel", "warning"),
                Choice("kill", "Kill…", "error"),
            ]
            title = "Execution is already cancelling"
        else:
            choices = [
                Choice("back", "Back"),
                Choice("cancel", "Cancel execution", "warning"),
                Choice("kill", "Kill…", "error"),
            ]
            title = "Cancel execution?"
        body = [Text("Execution ").append_text(what)]

        def chosen(choice: str | None) -> None:
            if choice in ("cancel", "force-cancel"):
                self.run_worker(self._cancel(target, choice), group="actions", exit_on_error=False)
            elif choice == "kill":
                self._confirm_kill(target, what)

        self.push_screen(ConfirmScreen(title, body, choices), chosen)

    def _confirm_kill(self, target: Execution, what: Text) -> None:
        body = [
            Text("Kill execution ").append_text(what.copy()).append("?"),
            Text(
                "Running operations are abandoned, not cleaned up: resources may be left "
                "half-created or half-deleted.",
                style="bold",
            ),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "kill":
                self.run_worker(self._cancel(target, "kill"), group="actions", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(
                "Kill execution", body, [Choice("back", "Back"), Choice("kill", "Kill", "error")]
            ),
            chosen,
        )

    async def _cancel(self, target: Execution, action: str) -> None:
        label = short_id(target.id)
        try:
            current = await self.client.get_execution(target.id)
        except NotFound:
            self.notify(
                f"Execution {label} no longer exists; nothing was sent.",
                severity="warning",
                markup=False,
            )
            return
        except ApiError as error:
            self.notify(
                f"Could not check execution {label}: {clean(error.message, limit=300)}",
                severity="error",
                markup=False,
            )
            return
        if current.is_ended:
            self.notify(
                f"Execution {label} ended ({current.status}) meanwhile; nothing was sent.",
                severity="warning",
                markup=False,
            )
            return
        try:
            answer = await self.client.cancel_execution(target.id, action)
        except ManagerError as error:
            self.notify(
                clean(error.message, limit=600),
                title="Cancel refused",
                severity="error",
                markup=False,
                timeout=10,
            )
            return
        except TransportError as error:
            self.notify(
                f"No answer to the {action} of {label} ({clean(error.message, limit=200)})"
                ". Cancelling is safe to repeat.",
                title="Cancel outcome unknown",
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        verb = {"cancel": "Cancel", "force-cancel": "Force-cancel", "kill": "Kill"}[action]
        self.notify(f"{verb} requested: {label} is {answer.status}.", markup=False)
        self.poller.refresh_now()


def _epoch(stamp: str | None) -> float | None:
    when = parse_time(stamp)
    return None if when is None else when.timestamp()
