"""What a refused key says, in one place: the main screen, the execution screen and
the app refuse the same things (read-only mode, cancelling an execution that ended)
and must say them the same way."""

from __future__ import annotations

from tui.api.models import RESUMABLE_STATES, Execution
from tui.widgets.fmt import short_id
from tui.widgets.status import look


def read_only(action: str) -> str:
    """Why `action` (start, force_start, rerun, cancel_execution, resume_execution)
    does nothing."""
    if action.startswith("cancel"):
        verb = "cancelling"
    elif action.startswith("resume"):
        verb = "resuming"
    else:
        verb = "starting"
    return f"Read-only mode: {verb} is disabled."


def nothing_to_cancel(execution: Execution) -> str | None:
    """Why cancelling `execution` does nothing; None while it can be cancelled."""
    if not execution.is_ended:
        return None
    return (
        f"Execution {short_id(execution.id)} already ended "
        f"({look(execution.status).word}): there is nothing to cancel."
    )


def not_resumable(execution: Execution) -> str | None:
    """Why resuming `execution` does nothing; None while it can be resumed."""
    if execution.status in RESUMABLE_STATES:
        return None
    return (
        f"Execution {short_id(execution.id)} is {look(execution.status).word}: only a "
        "failed or cancelled execution can be resumed."
    )
