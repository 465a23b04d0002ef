"""Outcomes every action shares: nothing sent (and why), the execution unreadable
before sending, the manager's refusal, and a lost answer."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Literal

from tui.api.client import ManagerClient
from tui.api.errors import ApiError, ManagerError, NotFound, TransportError
from tui.api.models import Execution


@dataclass(frozen=True)
class NotSent:
    """Nothing was sent: the execution is `gone`, `ended` meanwhile, already
    `stopping` (a cancel at work), or `not_resumable` from its `status`."""

    reason: Literal["gone", "ended", "stopping", "not_resumable"]
    status: str = ""


@dataclass(frozen=True)
class Unchecked:
    """The execution could not be read before sending: nothing was sent."""

    error: str


@dataclass(frozen=True)
class Refused:
    """The manager said no: its message, unsanitised (the screen cleans it)."""

    message: str


@dataclass(frozen=True)
class Unknown:
    """No answer to the request: it may or may not have been carried out."""

    error: str


async def read_now(client: ManagerClient, execution_id: str) -> Execution | NotSent | Unchecked:
    """The execution as the manager has it now (it may have ended or gone since the
    user saw it), or why nothing can be sent."""
    try:
        return await client.get_execution(execution_id)
    except NotFound:
        return NotSent("gone")
    except ApiError as error:
        return Unchecked(error.message)


async def send(request: Awaitable[Execution]) -> Execution | Refused | Unknown:
    """The manager's answer to `request`, its refusal, or a lost answer."""
    try:
        return await request
    except ManagerError as error:
        return Refused(error.message)
    except TransportError as error:
        return Unknown(error.message)
