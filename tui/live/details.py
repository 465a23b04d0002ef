"""What the deployment details and node instances screens show, read in one go.

The parts are asked for concurrently and fail on their own: a manager that cannot
evaluate one output (a `get_attribute` of an instance not yet created answers 400 on
the real one), or a 6.x manager without `/capabilities`, leaves the rest on screen
with the reason in place of the missing part.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from tui.api.errors import ApiError
from tui.api.models import INSTANCE_STATES, Deployment, NodeInstance, Page

if TYPE_CHECKING:
    from tui.api.client import ManagerClient

T = TypeVar("T")

# How many node instances one read lists: a deployment rarely has more, and the
# details say when it does ("first 1000 of N").
INSTANCES_READ = 1000


@dataclass(frozen=True)
class Part:
    """One part of the details: its value, or why there is none."""

    value: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class Instances:
    """A deployment's node instances as read now (at most `INSTANCES_READ`)."""

    items: tuple[NodeInstance, ...] = ()
    total: int = 0
    error: str = ""

    @property
    def complete(self) -> bool:
        return not self.error and len(self.items) >= self.total

    def by_state(self) -> list[tuple[str, int]]:
        """(state, count) in lifecycle order, unknown states last by name."""
        counts = Counter(i.state for i in self.items)
        order = {state: n for n, state in enumerate(INSTANCE_STATES)}
        return sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


@dataclass(frozen=True)
class Details:
    deployment_id: str
    deployment: Deployment | None = None
    error: str = ""  # the deployment itself could not be read
    outputs: Part = field(default_factory=Part)
    capabilities: Part = field(default_factory=Part)
    instances: Instances = field(default_factory=Instances)
    read_at: float = 0.0


async def _part(call: Awaitable[T]) -> Part:
    try:
        return Part(await call)
    except ApiError as error:
        return Part(error=str(error) or type(error).__name__)


async def read_instances(client: ManagerClient, deployment_id: str) -> Instances:
    try:
        page: Page[NodeInstance] = await client.list_node_instances(
            deployment_id, size=INSTANCES_READ
        )
    except ApiError as error:
        return Instances(error=str(error) or type(error).__name__)
    return Instances(items=page.items, total=max(page.total, len(page.items)))


async def read_details(
    client: ManagerClient, deployment_id: str, clock: Callable[[], float] = time.time
) -> Details:
    """The deployment whole, its evaluated outputs and capabilities and its node
    instances, in four concurrent requests; `read_at` by `clock` (the app's)."""
    deployment, outputs, capabilities, instances = await asyncio.gather(
        _part(client.get_deployment(deployment_id)),
        _part(client.deployment_outputs(deployment_id)),
        _part(client.deployment_capabilities(deployment_id)),
        read_instances(client, deployment_id),
    )
    return Details(
        deployment_id=deployment_id,
        deployment=deployment.value,
        error=deployment.error,
        outputs=outputs,
        capabilities=capabilities,
        instances=instances,
        read_at=clock(),
    )
