"""Manager errors with the real manager's error codes, HTTP statuses and body shape.

Every error body is `{"message", "error_code", "server_traceback"}`, as the official
client builds its exception from those three keys.
"""

from __future__ import annotations

from typing import Any


class ManagerError(Exception):
    """An error the REST layer turns into a JSON error response."""

    error_code = "internal_server_error"
    status_code = 500
    with_traceback_key = True

    def __init__(self, message: str, *, traceback: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.traceback = traceback

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "error_code": self.error_code}
        if self.with_traceback_key:
            body["server_traceback"] = self.traceback
        return body


def _error(name: str, code: str, status: int) -> type[ManagerError]:
    return type(name, (ManagerError,), {"error_code": code, "status_code": status})


BadParameters = _error("BadParameters", "bad_parameters_error", 400)
NoSuchIncludeField = _error("NoSuchIncludeField", "no_such_include_field_error", 400)
UnsupportedContentType = _error("UnsupportedContentType", "unsupported_content_type_error", 415)
IllegalExecutionParameters = _error(
    "IllegalExecutionParameters", "illegal_execution_parameters_error", 400
)
NonexistentWorkflow = _error("NonexistentWorkflow", "nonexistent_workflow_error", 400)
UnavailableWorkflow = _error("UnavailableWorkflow", "unavailable_workflow_error", 400)
ExistingRunningExecution = _error(
    "ExistingRunningExecution", "existing_running_execution_error", 400
)
IllegalAction = _error("IllegalAction", "illegal_action_error", 400)
Conflict = _error("Conflict", "conflict_error", 409)
StorageError = _error("StorageError", "storage_error", 409)
InvalidStatusUpdate = _error("InvalidStatusUpdate", "invalid_exception_status_update", 400)
DeploymentCreation = _error("DeploymentCreation", "deployment_creation_error", 400)
DeploymentEnvironmentPending = _error(
    "DeploymentEnvironmentPending", "deployment_environment_creation_pending_error", 400
)
DeploymentEnvironmentInProgress = _error(
    "DeploymentEnvironmentInProgress", "deployment_environment_creation_in_progress_error", 400
)
MissingRequiredInput = _error(
    "MissingRequiredInput", "missing_required_deployment_input_error", 400
)
UnknownInput = _error("UnknownInput", "unknown_deployment_input_error", 400)
DependentExists = _error("DependentExists", "dependent_exists_error", 400)
FunctionsEvaluation = _error("FunctionsEvaluation", "functions_evaluation_error", 400)
DeploymentOutputsEvaluation = _error(
    "DeploymentOutputsEvaluation", "deployment_outputs_evaluation_error", 400
)
DeploymentCapabilitiesEvaluation = _error(
    "DeploymentCapabilitiesEvaluation", "deployment_capabilities_evaluation_error", 400
)
OnlyDeploymentUpdate = _error("OnlyDeploymentUpdate", "only_deployment_update", 403)
NotFound = _error("NotFound", "not_found_error", 404)
Unauthorized = _error("Unauthorized", "unauthorized_error", 401)
Forbidden = _error("Forbidden", "forbidden_error", 403)
PayloadTooLarge = _error("PayloadTooLarge", "payload_too_large_error", 413)
OnlyDeploymentUpdate = _error("OnlyDeploymentUpdate", "only_deployment_update", 403)
ParentNotFound = _error("ParentNotFound", "deployment_parent_not_found_error", 404)


class BadFilterRule(ManagerError):
    """`invalid_filter_rule`: the body also names the rule (`err_filter_rule`, as it was
    given) and the reason (`err_reason`)."""

    error_code = "invalid_filter_rule"
    status_code = 400

    def __init__(self, rule: Any, reason: str = "") -> None:
        super().__init__(f"The filter rule {rule!r} is not in the right format. {reason}")
        self.rule = rule
        self.reason = reason

    def body(self) -> dict[str, Any]:
        return {"err_filter_rule": self.rule, "err_reason": self.reason, **super().body()}


class ValidationError(BadParameters):
    """A pydantic-style query validation error: the real body has no `server_traceback`."""

    with_traceback_key = False


class InternalError(ManagerError):
    """An unhandled failure: 500 with the traceback, as the real manager answers."""


# Flask hands every unhandled exception to the real manager's 500 handler wrapped in
# an `InternalServerError`, so the message never names the real exception: only the
# traceback does (probed on 7.0.4 for a `TypeError`, an `AttributeError`, a `KeyError`
# and dsl_parser's own exceptions alike).
CRASH_MESSAGE = (
    "Internal error occurred in manager REST server - InternalServerError: 500 Internal "
    "Server Error: The server encountered an internal error and was unable to complete your "
    "request. Either the server is overloaded or there is an error in the application."
)


def crash(last_line: str, where: str) -> InternalError:
    """The 500 the real manager answers where its code raises unexpectedly.

    `last_line` is the traceback's last line (`TypeError: ...`), `where` the real
    module and function that raised, so a reader of the traceback learns what the
    real server would have tripped on.
    """
    return InternalError(
        CRASH_MESSAGE,
        traceback=f'Traceback (most recent call last):\n  File "{where}"\n{last_line}\n',
    )
