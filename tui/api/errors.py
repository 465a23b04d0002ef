"""Errors of the client, in two families that callers must treat differently.

`ManagerError`: the manager answered, with an error body (`message`, `error_code`).
The request reached the server; whatever it says is authoritative.

`TransportError`: no usable answer (refused, timed out, TLS, or a body that is not
the JSON the contract promises). For a start request this means the outcome is
unknown: the execution may or may not exist.
"""

from __future__ import annotations

import re


class ApiError(Exception):
    """Anything that went wrong talking to a manager."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ManagerError(ApiError):
    """The manager answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error_code: str | None,
        server_traceback: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.server_traceback = server_traceback


class RunningExecutionConflict(ManagerError):
    """`existing_running_execution_error`: other executions of the deployment run."""

    @property
    def blocking_ids(self) -> list[str]:
        """Execution ids named in the message (a repr list, or a plain id list)."""
        # Bounded and without nested brackets: the message comes from the server, and
        # `\[([^\]]*)\]` takes quadratic time on a long run of `[`.
        message = self.message[:20000]
        ids = re.findall(r"<Execution id=`([^`]+)`", message)
        if not ids:
            inner = re.search(r"\[([^\[\]]*)\]", message)
            if inner:
                ids = re.findall(r"'([^']+)'", inner.group(1))
        return ids


class NotFound(ManagerError):
    """The object does not exist (or is not visible in this tenant)."""


class IllegalAction(ManagerError):
    """The action is not allowed in the object's current state."""


class BadParameters(ManagerError):
    """The request's parameters were refused (including workflow parameters)."""


class Unauthorized(ManagerError):
    """Credentials missing, wrong or expired."""


class Forbidden(ManagerError):
    """Authenticated, but not allowed (role or tenant)."""


class Unavailable(ManagerError):
    """The manager cannot serve now: maintenance mode, overload, internal error."""


ERROR_CLASSES: dict[str, type[ManagerError]] = {
    "existing_running_execution_error": RunningExecutionConflict,
    "not_found_error": NotFound,
    "illegal_action_error": IllegalAction,
    "conflict_error": IllegalAction,
    "invalid_exception_status_update": IllegalAction,
    "bad_parameters_error": BadParameters,
    "illegal_execution_parameters_error": BadParameters,
    "nonexistent_workflow_error": BadParameters,
    "unavailable_workflow_error": BadParameters,
    "no_such_include_field_error": BadParameters,
    "unsupported_content_type_error": BadParameters,
    "deployment_environment_creation_pending_error": Unavailable,
    "deployment_environment_creation_in_progress_error": Unavailable,
    "deployment_creation_error": BadParameters,
    "dependent_exists_error": IllegalAction,
    "unauthorized_error": Unauthorized,
    "forbidden_error": Forbidden,
    "maintenance_mode_active": Unavailable,
    "entering_maintenance_mode": Unavailable,
    "insufficient_memory_error": Unavailable,
    "internal_server_error": Unavailable,
}


def manager_error(
    status_code: int, error_code: str | None, message: str, traceback: str | None
) -> ManagerError:
    """The exception for an error answer, by `error_code`, else by HTTP status."""
    cls = ERROR_CLASSES.get(error_code or "")
    if cls is None:
        if status_code == 401:
            cls = Unauthorized
        elif status_code == 403:
            cls = Forbidden
        elif status_code == 404:
            cls = NotFound
        elif status_code >= 500:
            cls = Unavailable
        else:
            cls = ManagerError
    return cls(message, status_code=status_code, error_code=error_code, server_traceback=traceback)


class TransportError(ApiError):
    """No usable answer from the manager."""


class ConnectionRefused(TransportError):
    """Nothing listens there, or the connection broke before an answer."""


class RequestTimeout(TransportError):
    """The manager did not answer in time."""


class TLSFailure(TransportError):
    """The TLS handshake failed (certificate not trusted, wrong host, ...)."""


class BadResponse(TransportError):
    """An answer that is not what the contract promises (not JSON, wrong shape)."""


class InvalidRequest(ApiError):
    """The request could not be built (an id from the server too long for a URL, or not
    text); nothing was sent, so nothing happened."""
