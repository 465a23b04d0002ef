"""The Cloudify REST API v3.1 client: httpx, typed models, errors. No Textual here.

Usable from a plain script::

    client = ManagerClient("http://127.0.0.1:8080", username="admin", password="...")
    page = await client.list_deployments()
"""

import sys

# `import httpx` also imports httpx's command-line client (`httpx._main`: click,
# pygments, rich.syntax; about 20 ms of the app's start-up) whenever those are
# installed, and nothing here runs it. Marked absent, httpx takes its own way for a
# missing CLI (it catches the ImportError and defines a stub `httpx.main`).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from tui.api.client import ManagerClient, Timeouts  # noqa: E402
from tui.api.errors import (  # noqa: E402
    ApiError,
    BadParameters,
    BadResponse,
    ConnectionRefused,
    Forbidden,
    IllegalAction,
    InvalidRequest,
    ManagerError,
    NotFound,
    RequestTimeout,
    RunningExecutionConflict,
    TLSFailure,
    TransportError,
    Unauthorized,
    Unavailable,
)
from tui.api.models import (  # noqa: E402
    Deployment,
    Event,
    Execution,
    Page,
    ParameterSpec,
    VersionInfo,
    Workflow,
)

__all__ = [
    "ApiError",
    "BadParameters",
    "BadResponse",
    "ConnectionRefused",
    "Deployment",
    "Event",
    "Execution",
    "Forbidden",
    "IllegalAction",
    "InvalidRequest",
    "ManagerClient",
    "ManagerError",
    "NotFound",
    "Page",
    "ParameterSpec",
    "RequestTimeout",
    "RunningExecutionConflict",
    "TLSFailure",
    "Timeouts",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "VersionInfo",
    "Workflow",
]
