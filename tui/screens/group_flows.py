"""The flows of group runs, each one coroutine run in a screen's worker.

Start: the marked deployments are read (their workflows, what runs on them); the form
(workflow, parameters, concurrency, group name, force); the preflight, read fresh each
time it is shown, with its question naming the numbers; for a destructive built-in,
one more confirmation; then the deployment group and the execution group, and the
group's screen. Cancel and resume of a whole group: a dialog naming the group and the
members it acts on; kill confirms once more.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from tui.actions import group_run, preflight
from tui.actions.group_run import GroupStart
from tui.actions.preflight import Members, Plan
from tui.api.errors import ApiError
from tui.live.group_watch import GroupProgress
from tui.screens import toasts
from tui.screens.confirm import Choice, ConfirmScreen
from tui.screens.flows import DESTRUCTIVE
from tui.screens.group_start import GroupRequest, GroupStartScreen
from tui.screens.host import Host
from tui.screens.preflight import GroupNote, PreflightScreen
from tui.screens.toasts import say
from tui.widgets import refusals
from tui.widgets.fmt import plural, short_id
from tui.widgets.glyphs import glyph
from tui.widgets.safe import clean, safe

# Marked deployments from which reading them is said first (it takes a moment).
SAY_READING = 200


async def _read(host: Host, marked: tuple[str, ...]) -> Members | None:
    if len(marked) >= SAY_READING:
        host.notify(
            f"Reading the {len(marked):,} marked deployments{glyph('more', host.ascii_only)}"
        )
    try:
        return await preflight.read_members(host.client, marked)
    except ApiError as error:
        host.notify(
            f"The marked deployments could not be read: {clean(error.message, limit=300)}",
            severity="error",
        )
        return None


async def existing_group(host: Host, name: str) -> GroupNote:
    """What the deployment group named `name` holds now, for the preflight to say."""
    try:
        return GroupNote(name, await group_run.members_of_deployment_group(host.client, name))
    except ApiError as error:
        return GroupNote(name, None, error=error.message)


async def group_start_flow(
    host: Host, marked: tuple[str, ...], *, force: bool, workflow_id: str | None
) -> None:
    """From `s` with marks to the group's screen."""
    if host.read_only:
        host.notify(refusals.read_only("start"), severity="warning")
        return
    members = await _read(host, marked)
    if members is None:
        return
    settled = await _form_and_preflight(host, members, marked, force, workflow_id)
    if settled is None:
        return
    request, plan = settled
    if not await _confirm_destructive(host, request.workflow_id, len(plan.members)):
        return
    outcome = await group_run.start_group(
        host.client,
        GroupStart(
            name=request.name,
            deployment_ids=plan.members,
            workflow_id=request.workflow_id,
            parameters=request.parameters,
            concurrency=request.concurrency,
            force=request.force,
        ),
    )
    if isinstance(outcome, group_run.StepFailed):
        say(host, toasts.group_not_started(outcome.step, outcome.outcome))
        return
    group = outcome.group
    say(host, toasts.group_started(request.workflow_id, len(plan.members), request.name, group.id))
    host.group_ends.follow(group.id)
    host.poller.refresh_now()
    host.group_ends.open(group.id)


async def _form_and_preflight(
    host: Host, members: Members, marked: tuple[str, ...], force: bool, workflow_id: str | None
) -> tuple[GroupRequest, Plan] | None:
    """The form, then the preflight (the deployments read again: what runs now, not
    when the form opened), back and forth until the preflight's start; None when the
    user leaves."""
    choices = preflight.declared_workflows(members)
    if not choices:
        host.notify(
            f"None of the {len(marked)} marked deployments declares a workflow"
            " (or none could be read).",
            severity="warning",
        )
        return None
    started_at = host.now()
    request: GroupRequest | None = None
    dropped: frozenset[str] = frozenset()
    while True:
        request = await host.push_screen_wait(
            GroupStartScreen(
                members,
                marked,
                choices,
                force=force,
                name_for=lambda chosen: preflight.default_group_name(chosen, started_at),
                workflow_id=workflow_id,
                previous=request,
            )
        )
        if request is None:
            return None
        fresh = await _read(host, marked)
        if fresh is None:
            return None
        members = fresh
        note = await existing_group(host, request.name)
        answer = await host.push_screen_wait(
            PreflightScreen(members, marked, request, group_note=note, dropped=dropped)
        )
        if answer is None:
            return None
        dropped = answer.dropped
        if answer.choice == "start":
            return request, answer.plan


async def _confirm_destructive(host: Host, workflow_id: str, count: int) -> bool:
    if workflow_id not in DESTRUCTIVE:
        return True
    body = [
        safe(
            f"{workflow_id} on {count} deployments: {DESTRUCTIVE[workflow_id]}", single_line=False
        ),
        Text("This cannot be undone from here.", style="bold"),
    ]
    dialog = ConfirmScreen(
        f"Run {clean(workflow_id, limit=60)} on {count} deployments?",
        body,
        [Choice("back", "Back"), Choice("go", f"{clean(workflow_id, limit=30)} {count}", "error")],
    )
    return await host.push_screen_wait(dialog) == "go"


def _named(progress: GroupProgress) -> str:
    group = progress.group
    return (
        f"group run {short_id(group.id)} ({clean(group.workflow_id, limit=60)} on "
        f"{clean(group.deployment_group_id, limit=60)})"
    )


def _cancelled_how(running: int, waiting: int) -> str:
    """What a group cancel does to its members, as many as there are of each kind."""
    parts = []
    if running:
        parts.append(f"{plural(running, 'member')} running or stopping: asked to stop")
    if waiting:
        parts.append(f"{plural(waiting, 'member')} waiting: cancelled at once")
    return "; ".join(parts) + "."


async def cancel_group_flow(host: Host, progress: GroupProgress, after: Callable[[], None]) -> None:
    """Cancel, force-cancel or kill every member that has not ended."""
    if host.read_only:
        host.notify(refusals.read_only("cancel_group"), severity="warning")
        return
    counts = progress.counts
    running = counts["running"] + counts["stopping"]
    waiting = counts["waiting"]
    label = _named(progress)
    if not running and not waiting:
        host.notify(f"Every member of {label} has ended: nothing to cancel.")
        return
    body = [
        safe(f"Cancel {label}?", single_line=False),
        Text(_cancelled_how(running, waiting)),
    ]
    kill = Choice("kill", f"Kill{glyph('more', host.ascii_only)}", "error")
    choices = [
        Choice("back", "Back"),
        Choice("cancel", "Cancel group", "warning"),
        Choice("force-cancel", "Force-cancel", "warning"),
        kill,
    ]
    choice = await host.push_screen_wait(ConfirmScreen("Cancel group run?", body, choices))
    if choice == "kill":
        warning = [
            safe(f"Kill {plural(running, 'running member')} of {label}?", single_line=False),
            Text(
                "Running operations are abandoned, not cleaned up: resources may be left "
                "half-created or half-deleted.",
                style="bold",
            ),
        ]
        again = ConfirmScreen(
            "Kill group run", warning, [Choice("back", "Back"), Choice("kill", "Kill", "error")]
        )
        if await host.push_screen_wait(again) != "kill":
            return
    if choice in ("cancel", "force-cancel", "kill"):
        outcome = await group_run.act(host.client, progress.group.id, choice)
        say(host, toasts.group_action_outcome(choice, label, outcome))
        after()
        host.poller.refresh_now()


def _failed_and_cancelled(counts: dict[str, int]) -> str:
    """`2 failed and 1 cancelled members`, `3 failed members`."""
    parts = [f"{counts[k]} {k}" for k in ("failed", "cancelled") if counts[k]]
    total = counts["failed"] + counts["cancelled"]
    return " and ".join(parts) + (" member" if total == 1 else " members")


async def resume_group_flow(host: Host, progress: GroupProgress, after: Callable[[], None]) -> None:
    """Run the failed and cancelled members again."""
    if host.read_only:
        host.notify(refusals.read_only("resume_group"), severity="warning")
        return
    counts = progress.counts
    again = counts["failed"] + counts["cancelled"]
    label = _named(progress)
    if not again:
        host.notify(f"{label[:1].upper()}{label[1:]} has no failed or cancelled member.")
        return
    body = [
        safe(f"Resume {label}?", single_line=False),
        Text(
            f"{_failed_and_cancelled(counts)} run again, "
            f"at most {progress.group.concurrency} at once. Force-resume also runs again the "
            "operations that were in progress when they stopped.",
        ),
    ]
    choices = [
        Choice("back", "Back"),
        Choice("resume", f"Resume {again}"),
        Choice("force-resume", "Force-resume", "warning"),
    ]
    choice = await host.push_screen_wait(ConfirmScreen("Resume group run?", body, choices))
    if choice in ("resume", "force-resume"):
        outcome = await group_run.act(host.client, progress.group.id, choice)
        say(host, toasts.group_action_outcome(choice, label, outcome))
        host.group_ends.follow(progress.group.id)
        after()
        host.poller.refresh_now()
