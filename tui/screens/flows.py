"""The flows a key starts: each one coroutine that awaits its dialogs in order, calls
one of `tui/actions`, and says the outcome. A screen runs them in its own workers
(`@work`), so a flow ends with the screen that owns it.

Start: the form; for a destructive built-in, a confirmation; for a force-start beside
running executions, a confirmation naming them; the request; on a conflict, a dialog
offering queue or force, and the request again. Cancel: a dialog offering what the
execution's state allows; for kill, a second confirmation; the request. Resume: a
dialog offering resume or force-resume; the request.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from tui.actions import cancel as cancelling
from tui.actions import resume as resuming
from tui.actions import start as starting
from tui.actions.start import StartRequest
from tui.api.errors import ApiError
from tui.api.models import Execution, Workflow
from tui.messages import ExecutionStarted
from tui.screens import toasts
from tui.screens.confirm import Choice, ConfirmScreen
from tui.screens.host import Host
from tui.screens.raw import RawScreen
from tui.screens.start import StartScreen
from tui.screens.toasts import say
from tui.widgets import refusals
from tui.widgets.fmt import short_id
from tui.widgets.glyphs import glyph
from tui.widgets.panes import unavailable_message
from tui.widgets.safe import clean, safe
from tui.widgets.secrecy import mask

# Built-in workflows that destroy what a deployment has: they confirm once more.
DESTRUCTIVE = {
    "uninstall": "every node instance is stopped and deleted.",
    "delete_deployment_environment": "the deployment itself is deleted.",
}


# -- starting ------------------------------------------------------------------------------
async def start_flow(
    host: Host,
    deployment_id: str,
    workflow: Workflow,
    *,
    force: bool,
    values: dict[str, Any] | None = None,
) -> None:
    """From the key to the outcome: form, confirmations, request."""
    if host.read_only:
        host.notify(refusals.read_only("start"), severity="warning")
        return
    unavailable = None if force else unavailable_message(deployment_id, workflow)
    if unavailable is not None:
        host.notify(unavailable, title="Not available", severity="warning")
        return
    form = StartScreen(
        deployment_id, workflow, force=force, tenant=host.identity.tenant, values=values
    )
    request = await host.push_screen_wait(form)
    if request is None or not await _confirm_destructive(host, request):
        return
    if not await _confirm_force(host, request):
        return
    await send_start(host, request)


async def rerun_flow(host: Host, execution: Execution) -> None:
    """`R`: the start form for the same workflow, prefilled with the same values."""
    if host.read_only:
        host.notify(refusals.read_only("start"), severity="warning")
        return
    workflow = await load_workflow(host, execution.deployment_id, execution.workflow_id)
    if workflow is None:
        host.notify(
            f"{execution.workflow_id} is no longer declared by {execution.deployment_id}.",
            severity="warning",
        )
        return
    await start_flow(
        host, execution.deployment_id, workflow, force=False, values=dict(execution.parameters)
    )


async def scoped_start_flow(
    host: Host, deployment_id: str, workflow_id: str, values: dict[str, Any]
) -> None:
    """From a node instance: the start form of `heal` or `execute_operation` on the
    deployment, prefilled with the instance (the form shows and checks the rest)."""
    if host.read_only:
        host.notify(refusals.read_only("start"), severity="warning")
        return
    workflow = await load_workflow(host, deployment_id, workflow_id)
    if workflow is None:
        host.notify(
            f"{clean(deployment_id, limit=60)} declares no {workflow_id} workflow"
            " (or could not be read).",
            severity="warning",
        )
        return
    await start_flow(host, deployment_id, workflow, force=False, values=values)


async def load_workflow(host: Host, deployment_id: str, workflow_id: str) -> Workflow | None:
    """The workflow as the deployment declares it now (the poller's copy when it holds
    that deployment); None when it is not declared or cannot be read."""
    detail = host.poller.snapshot.detail
    if detail is None or detail.id != deployment_id:
        try:
            detail = await host.client.get_deployment(deployment_id)
        except ApiError:
            return None
    return detail.workflow(workflow_id)


async def _confirm_destructive(host: Host, request: StartRequest) -> bool:
    if request.workflow_id not in DESTRUCTIVE or request.dry_run:
        return True
    body = [
        safe(
            f"{request.workflow_id} on {request.deployment_id}: {DESTRUCTIVE[request.workflow_id]}",
            single_line=False,
        ),
        Text("This cannot be undone from here.", style="bold"),
    ]
    dialog = ConfirmScreen(
        f"Run {clean(request.workflow_id, limit=60)}?",
        body,
        [Choice("back", "Back"), Choice("go", clean(request.workflow_id, limit=40), "error")],
    )
    return await host.push_screen_wait(dialog) == "go"


async def _confirm_force(host: Host, request: StartRequest) -> bool:
    """A force-start names what it will run beside (nothing to ask when nothing runs)."""
    active = host.poller.snapshot.active
    running = [e for e in active if e.deployment_id == request.deployment_id]
    if not request.force or not running:
        return True
    body = [
        safe(
            f"Force-start {request.workflow_id} on {request.deployment_id}? It will run beside:",
            single_line=False,
        ),
        *(execution_line(e) for e in running),
    ]
    dialog = ConfirmScreen(
        "Force start", body, [Choice("back", "Back"), Choice("force", "Force start", "warning")]
    )
    return await host.push_screen_wait(dialog) == "force"


async def send_start(host: Host, request: StartRequest | None) -> None:
    """Send the start and say what happened; a conflict asks whether to queue or force,
    then sends that instead. Never resent without the user choosing to."""
    while request is not None:
        outcome = await starting.start(host.client, request, claimed=host.claimed)
        match outcome:
            case starting.Started(execution=execution):
                _started(host, request, execution)
            case starting.Conflict():
                request = await _resolve_conflict(host, request, outcome)
                continue
            case starting.Refused(message=message):
                say(host, toasts.refused("Start refused", message))
            case starting.Unknown(found=found):
                say(host, toasts.start_unknown(request, outcome))
                if found is not None:
                    host.claimed.add(found.id)
                    host.poller.note_started(found)
        return


def _started(host: Host, request: StartRequest, execution: Execution) -> None:
    host.claimed.add(execution.id)
    host.poller.note_started(execution)
    host.watch_list.add_started(execution)
    host.watch_changed()
    if host.open_after_start:
        host.open_execution(execution)
    say(host, toasts.started(request, execution, list(host.poller.snapshot.system_active)))
    for screen in host.screen_stack:
        screen.post_message(ExecutionStarted(execution))


async def _resolve_conflict(
    host: Host, request: StartRequest, conflict: starting.Conflict
) -> StartRequest | None:
    """Name what runs, and offer queue or force; the request to send next, or None."""
    known = {e.id: e for e in host.poller.snapshot.active}
    body = [safe(f"{request.deployment_id} is busy. Running now:")]
    for exec_id in conflict.blocking_ids:
        execution = known.get(exec_id)
        body.append(
            execution_line(execution)
            if execution is not None
            else Text("  ").append_text(safe(exec_id))
        )
    if not conflict.blocking_ids:
        body.append(safe(conflict.message, limit=400, single_line=False))
    dialog = ConfirmScreen(
        "Another execution is running",
        body,
        [
            Choice("back", "Back"),
            Choice("queue", "Queue it"),
            Choice("force", "Force start", "warning"),
        ],
    )
    choice = await host.push_screen_wait(dialog)
    if choice == "force":
        return request.forced()
    if choice == "queue":
        return request.queued()
    return None


def execution_line(execution: Execution) -> Text:
    """`  1a2b3c4d install (started)`: an execution named in a dialog."""
    line = Text("  ")
    line.append_text(safe(short_id(execution.id), "bold"))
    line.append(" ")
    line.append_text(safe(execution.workflow_id))
    line.append(" (")
    line.append_text(safe(execution.status))
    line.append(")")
    return line


# -- cancelling ----------------------------------------------------------------------------
async def cancel_flow(host: Host, execution: Execution) -> None:
    """The dialog offers what the state allows; kill confirms once more."""
    target = execution  # captured now: the dialog acts on this id, whatever moves
    if _refused(host, "cancel_execution", refusals.nothing_to_cancel(target)):
        return
    what = _execution_named(target)
    title, choices = _cancel_choices(target.status, host.ascii_only)
    choice = await host.push_screen_wait(
        ConfirmScreen(title, [Text("Execution ").append_text(what)], choices)
    )
    if choice == "kill" and not await _confirm_kill(host, what):
        return
    if choice in ("cancel", "force-cancel", "kill"):
        await send_cancel(host, target, choice)


def _refused(host: Host, action: str, why_not: str | None) -> bool:
    """Say why `action` does nothing on this execution (read-only mode, or `why_not`
    from its state); True when it must not run."""
    if host.read_only:
        host.notify(refusals.read_only(action), severity="warning")
        return True
    if why_not is not None:
        host.notify(why_not)
        return True
    return False


def _execution_named(target: Execution) -> Text:
    what = Text()
    what.append_text(safe(short_id(target.id), "bold"))
    what.append(" (")
    what.append_text(safe(target.workflow_id))
    what.append(" on ")
    what.append_text(safe(target.deployment_id))
    what.append(f", {clean(target.status, limit=30)})")
    return what


def _cancel_choices(status: str, ascii_only: bool) -> tuple[str, list[Choice]]:
    """The dialog's title and buttons: each step of the ladder not yet taken."""
    kill = Choice("kill", f"Kill{glyph('more', ascii_only)}", "error")
    if status in ("force_cancelling", "kill_cancelling"):
        return "Execution is already being force-cancelled", [Choice("back", "Back"), kill]
    if status == "cancelling":
        force = Choice("force-cancel", "Force-cancel", "warning")
        return "Execution is already cancelling", [Choice("back", "Back"), force, kill]
    cancel = Choice("cancel", "Cancel execution", "warning")
    return "Cancel execution?", [Choice("back", "Back"), cancel, kill]


async def _confirm_kill(host: Host, what: Text) -> bool:
    body = [
        Text("Kill execution ").append_text(what.copy()).append("?"),
        Text(
            "Running operations are abandoned, not cleaned up: resources may be left "
            "half-created or half-deleted.",
            style="bold",
        ),
    ]
    dialog = ConfirmScreen(
        "Kill execution", body, [Choice("back", "Back"), Choice("kill", "Kill", "error")]
    )
    return await host.push_screen_wait(dialog) == "kill"


async def send_cancel(host: Host, target: Execution, action: cancelling.CancelAction) -> None:
    outcome = await cancelling.cancel(host.client, target.id, action)
    say(host, toasts.cancel_outcome(target.id, action, outcome))
    if isinstance(outcome, cancelling.Requested):
        host.poller.refresh_now()


# -- small lookups -------------------------------------------------------------------------
async def show_raw_deployment(host: Host, deployment_id: str, fallback: Any) -> None:
    """`y` on a deployment: the whole object, read now (the poller reads only the fields
    the panes show); what the poller has when the manager does not answer."""
    try:
        data: Any = (await host.client.get_deployment(deployment_id)).raw
    except ApiError:
        data = fallback
    show_raw(host, f"Deployment {deployment_id}", data)


async def show_instance(host: Host, instance_id: str, *, masked: bool) -> None:
    """A node instance whole, read now: runtime properties and relationships. With
    `masked`, values named like credentials are hidden (`y` shows them as sent)."""
    try:
        data: Any = (await host.client.get_node_instance(instance_id)).raw
    except ApiError as error:
        host.notify(
            f"Node instance {clean(instance_id, limit=60)} could not be read: "
            f"{clean(str(error), limit=300)}",
            severity="warning",
        )
        return
    if masked:
        hidden = glyph("secret", host.ascii_only) * 8
        show_raw(host, f"Node instance {instance_id} (credentials hidden)", mask(data, hidden))
    else:
        show_raw(host, f"Node instance {instance_id}", data)


def show_raw(host: Host, title: str, data: Any) -> None:
    host.push_screen(RawScreen(title, dict(data) if data else {}))


def copy_id(host: Host, value: str) -> None:
    """OSC 52: works over SSH in terminals that allow it."""
    host.copy_to_clipboard(value)
    host.notify(f"Copied {clean(value, limit=80)} to the clipboard.")


# -- resuming ------------------------------------------------------------------------------
async def resume_flow(host: Host, execution: Execution) -> None:
    """A failed or cancelled execution, resumed (or force-resumed) after a dialog that
    names it; watched until it ends, like a start."""
    target = execution  # captured now: the dialog acts on this id, whatever moves
    if _refused(host, "resume_execution", refusals.not_resumable(target)):
        return
    body = [
        Text("Execution ").append_text(_execution_named(target)),
        Text(
            "Resume continues from the operations that did not complete; force-resume "
            "also runs again those that were in progress when it stopped.",
            style="dim",
        ),
    ]
    choices = [
        Choice("back", "Back"),
        Choice("resume", "Resume"),
        Choice("force-resume", "Force-resume", "warning"),
    ]
    choice = await host.push_screen_wait(ConfirmScreen("Resume execution?", body, choices))
    if choice in ("resume", "force-resume"):
        await send_resume(host, target, force=choice == "force-resume")


async def send_resume(host: Host, target: Execution, *, force: bool) -> None:
    outcome = await resuming.resume(host.client, target.id, force=force)
    say(host, toasts.resume_outcome(target.id, force, outcome))
    if isinstance(outcome, resuming.Resumed):
        host.watch_list.add_started(outcome.execution)
        host.watch_changed()
        host.poller.refresh_now()
