"""What the app says in a toast, in one place: each outcome of an action and each
end of a watched execution, worded once. Screens and the app only pick the toast.

Messages carry server strings; the app's `notify` cleans every toast and shows it as
plain text, so nothing here is markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.actions import cancel as cancelling
from tui.actions import group_run
from tui.actions import resume as resuming
from tui.actions import start as starting
from tui.actions.outcomes import NotSent, Refused, Unchecked, Unknown
from tui.api.models import Execution
from tui.screens.host import Host
from tui.widgets.fmt import short_id
from tui.widgets.safe import clean
from tui.widgets.status import look


@dataclass(frozen=True)
class Toast:
    message: str
    title: str = ""
    severity: str = "information"
    timeout: float | None = None


def say(host: Host, toast: Toast) -> None:
    host.notify(toast.message, title=toast.title, severity=toast.severity, timeout=toast.timeout)


ENDED = {
    "terminated": ("completed", "information"),
    "failed": ("failed", "error"),
    "cancelled": ("was cancelled", "warning"),
}


def execution_ended(execution: Execution) -> Toast:
    outcome, severity = ENDED[execution.status]
    return Toast(
        f"{execution.workflow_id} on {execution.deployment_id} {outcome} "
        f"({short_id(execution.id)}).",
        title="Execution ended",
        severity=severity,
        timeout=8,
    )


def pinned(execution: Execution, now_pinned: bool) -> Toast:
    if not now_pinned:
        return Toast(f"Unpinned {short_id(execution.id)}.")
    if execution.is_ended:
        said = f"it already ended ({look(execution.status).word})."
    else:
        said = "you will be told when it ends."
    return Toast(f"Pinned {short_id(execution.id)}: {said}")


def refused(title: str, message: str) -> Toast:
    """The manager said no: its message, sanitised."""
    return Toast(clean(message, limit=600), title=title, severity="error", timeout=10)


# -- starting ------------------------------------------------------------------------------
def started(request: starting.StartRequest, execution: Execution, system: list[Execution]) -> Toast:
    """`system`: the running system workflows (while one runs, every start queues)."""
    what = f"{request.workflow_id} on {request.deployment_id} ({short_id(execution.id)})"
    if execution.status == "queued":
        return Toast(f"Queued: {what} {queued_because(system)}", title="Queued")
    return Toast(f"Started {what}.", title="Started")


def queued_because(system: list[Execution]) -> str:
    """What a queued start waits for: a running system workflow, named, when there is
    one (the manager queues every start behind it), else the deployment's run."""
    if not system:
        return "starts when the running execution ends."
    first = system[0]
    return (
        f"starts after the system workflow {clean(first.workflow_id, limit=60)} "
        f"({short_id(first.id)}, {first.status}) ends: while it runs the manager "
        "queues every start."
    )


def start_unknown(request: starting.StartRequest, outcome: starting.Unknown) -> Toast:
    """A lost answer, and what looking afterwards found."""
    message = f"No answer to the start of {request.workflow_id} on {request.deployment_id} "
    message += f"({clean(outcome.error, limit=200)}). "
    if not outcome.checked:
        return Toast(
            message + "Could not check whether it started: look before retrying.",
            title="Start outcome unknown",
            severity="error",
            timeout=15,
        )
    found = outcome.found
    if found is None:
        return Toast(
            message + "No new execution was found: it did not start. Start it "
            "again if you still want it.",
            title="Start outcome checked",
            severity="warning",
            timeout=15,
        )
    message += f"It did start: execution {short_id(found.id)}"
    message += f" is {found.status}." if found.status else "."
    if outcome.others:
        message += (
            f" {outcome.others} more new {request.workflow_id} execution(s) appeared "
            "meanwhile: started by someone else."
        )
    return Toast(message, title="Start outcome checked", timeout=15)


# -- cancelling and resuming --------------------------------------------------------------
CANCEL_VERBS = {"cancel": "Cancel", "force-cancel": "Force-cancel", "kill": "Kill"}


def cancel_outcome(
    execution_id: str, action: cancelling.CancelAction, outcome: cancelling.CancelOutcome
) -> Toast:
    label = short_id(execution_id)
    match outcome:
        case cancelling.Requested(execution=answer):
            return Toast(f"{CANCEL_VERBS[action]} requested: {label} is {answer.status}.")
        case NotSent(reason="ended", status=status):
            return Toast(
                f"Execution {label} ended ({status}) meanwhile; nothing was sent.",
                severity="warning",
            )
        case NotSent(reason="stopping", status=status):
            return Toast(
                f"Execution {label} is already {status}; nothing was sent. "
                "Force-cancel or kill stop it sooner."
            )
        case Unknown(error=error):
            return Toast(
                f"No answer to the {action} of {label} ({clean(error, limit=200)})"
                ". Cancelling is safe to repeat.",
                title="Cancel outcome unknown",
                severity="warning",
                timeout=10,
            )
    return _not_carried_out(label, "Cancel", outcome)


def resume_outcome(execution_id: str, force: bool, outcome: resuming.ResumeOutcome) -> Toast:
    label = short_id(execution_id)
    verb = "Force-resume" if force else "Resume"
    match outcome:
        case resuming.Resumed(execution=answer):
            return Toast(f"{verb} requested: {label} is {answer.status}.")
        case NotSent(reason="not_resumable", status=status):
            return Toast(
                f"Execution {label} is {look(status).word} now: only a failed or cancelled "
                "execution is resumed. Nothing was sent.",
                severity="warning",
            )
        case Unknown(error=error):
            return Toast(
                f"No answer to the {verb.lower()} of {label} ({clean(error, limit=200)})"
                ". Look at the execution before repeating it.",
                title=f"{verb} outcome unknown",
                severity="warning",
                timeout=10,
            )
    return _not_carried_out(label, verb, outcome)


def _not_carried_out(label: str, verb: str, outcome: object) -> Toast:
    """What cancel and resume say alike: the execution is gone, could not be read, or
    the manager refused."""
    match outcome:
        case NotSent(reason="gone"):
            return Toast(
                f"Execution {label} no longer exists; nothing was sent.", severity="warning"
            )
        case Unchecked(error=error):
            return Toast(
                f"Could not check execution {label}: {clean(error, limit=300)}", severity="error"
            )
        case Refused(message=message):
            return refused(f"{verb} refused", message)
    raise AssertionError(outcome)


# -- group runs --------------------------------------------------------------------------
def group_started(workflow_id: str, count: int, name: str, group_id: str) -> Toast:
    return Toast(
        f"{workflow_id} on {count} deployments, as deployment group {name} "
        f"(group run {short_id(group_id)}). You will be told when it ends.",
        title="Group run started",
        timeout=8,
    )


def group_not_started(step: str, outcome: Refused | Unknown) -> Toast:
    if isinstance(outcome, Unknown):
        return Toast(
            f"No answer while creating the {step}: {clean(outcome.error, limit=300)}. "
            "It may have been created: b lists the group runs.",
            title="Group run unknown",
            severity="warning",
            timeout=15,
        )
    return Toast(
        f"The manager refused the {step}: {clean(outcome.message, limit=500)}",
        title="Group run not started",
        severity="error",
        timeout=12,
    )


GROUP_ACTED = {
    "cancel": "Cancelling",
    "force-cancel": "Force-cancelling",
    "kill": "Killing",
    "resume": "Resuming",
    "force-resume": "Force-resuming",
}


def group_action_outcome(action: str, label: str, outcome: object) -> Toast:
    """What became of a cancel / force-cancel / kill / resume of a whole group."""
    match outcome:
        case group_run.Acted(queued_only=True):
            return Toast(f"{label}: the queued members are cancelled; none was running.")
        case group_run.Acted():
            return Toast(f"{GROUP_ACTED[action]} {label}.")
        case group_run.NothingTo():
            what = "failed or cancelled" if "resume" in action else "unfinished"
            return Toast(f"Nothing sent: {label} has no {what} member now.", severity="warning")
        case Unchecked(error=error):
            return Toast(
                f"Nothing sent: {label} could not be read ({clean(error, limit=300)}).",
                severity="error",
            )
        case Refused(message=message):
            return refused(f"{action} refused", message)
        case Unknown(error=error):
            return Toast(
                f"No answer to {action} of {label}: {clean(error, limit=300)}. "
                "Its members say whether it was carried out.",
                severity="warning",
                timeout=12,
            )
    raise AssertionError(f"unknown outcome {outcome!r}")


def group_ended(outcome: str, failed: int, cancelled: int) -> Toast:
    severity = "error" if failed else "warning" if cancelled else "information"
    return Toast(outcome + ".", title="Group run ended", severity=severity, timeout=12)
