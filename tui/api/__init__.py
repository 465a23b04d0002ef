"""The Cloudify REST API v3.1 client: httpx, typed models, errors. No Textual here.

Usable from a plain script::

    client = ManagerClient("http://127.0.0.1:8080", username="admin", password="...")
    page = await client.list_deployments()
"""

from tui.api.client import ManagerClient, Timeouts
from tui.api.errors import (
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
from tui.api.models import Deployment, Event, Execution, Page, ParameterSpec, VersionInfo, Workflow

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
