"""Deployment groups and execution groups: one workflow over many deployments, the
manager's own way (REST v3.1), so that a run started here is the same object the `cfy`
CLI (`cfy executions group ...`) and the web console show.

A deployment group is a named set of deployments (`PUT /deployment-groups/<id>` with
`deployment_ids` replaces its members). An execution group runs one workflow on each
member, at most `concurrency` at once; its members are ordinary executions carrying
`execution_group_id`, listed with `GET /executions?_group_id=<id>`.
"""

from __future__ import annotations

from typing import Any

from tui.api.client import ManagerClient, path_segment
from tui.api.errors import BadResponse
from tui.api.models import DeploymentGroup, ExecutionGroup, Page

GROUP_ACTIONS = ("cancel", "force-cancel", "kill", "resume", "force-resume")
# What the recent-groups list shows; `_get_data` makes the manager compute `status`
# (without it the real one answers null), and leaving `execution_ids` out keeps a
# group of 1,000 members from costing 40 KB per row.
GROUP_LIST_FIELDS = (
    "id",
    "workflow_id",
    "deployment_group_id",
    "concurrency",
    "created_at",
    "created_by",
    "status",
)


def _group(payload: Any, what: str) -> ExecutionGroup:
    group = ExecutionGroup.from_json(payload)
    if group is None:
        raise BadResponse(f"the manager answered {what} with an execution group without an id")
    return group


async def put_deployment_group(
    client: ManagerClient,
    group_id: str,
    deployment_ids: list[str],
    *,
    description: str | None = None,
) -> DeploymentGroup:
    """Create the group, or make an existing one hold exactly `deployment_ids` (a PUT
    with `deployment_ids` replaces the members; its other attributes stay)."""
    body: dict[str, Any] = {"deployment_ids": list(deployment_ids)}
    if description is not None:
        body["description"] = description
    payload = await client.request(
        "PUT", f"/api/v3.1/deployment-groups/{path_segment(group_id)}", body=body, expect=(200, 201)
    )
    group = DeploymentGroup.from_json(payload)
    if group is None:
        raise BadResponse("the manager answered PUT /deployment-groups without a group id")
    return group


async def start_execution_group(
    client: ManagerClient,
    deployment_group_id: str,
    workflow_id: str,
    *,
    parameters: dict[str, Any] | None = None,
    concurrency: int = 5,
    force: bool = False,
) -> ExecutionGroup:
    """`POST /execution-groups`: the manager makes one execution per member that
    declares the workflow (the others are logged on the group) and starts
    `concurrency` of them, queueing the rest. One member that cannot start refuses the
    whole request, and nothing runs: the preflight leaves such members out."""
    payload = await client.request(
        "POST",
        "/api/v3.1/execution-groups",
        body={
            "deployment_group_id": deployment_group_id,
            "workflow_id": workflow_id,
            "default_parameters": parameters or {},
            "concurrency": concurrency,
            "force": force,
        },
        expect=(200, 201),
    )
    return _group(payload, "POST /execution-groups")


async def get_execution_group(client: ManagerClient, group_id: str) -> ExecutionGroup:
    """One group with its status and member ids."""
    payload = await client.request("GET", f"/api/v3.1/execution-groups/{path_segment(group_id)}")
    return _group(payload, f"GET /execution-groups/{group_id}")


async def list_execution_groups(
    client: ManagerClient, *, size: int = 50, offset: int = 0
) -> Page[ExecutionGroup]:
    """The tenant's execution groups, newest first, with their status."""
    params = [
        ("_get_data", "true"),
        ("_include", ",".join(GROUP_LIST_FIELDS)),
        ("_sort", "-created_at"),
        ("_size", str(size)),
        ("_offset", str(offset)),
    ]
    return await client.page(
        "/api/v3.1/execution-groups", params, ExecutionGroup.from_json, key=lambda g: g.id
    )


async def execution_group_action(
    client: ManagerClient, group_id: str, action: str
) -> ExecutionGroup:
    """cancel / force-cancel / kill (queued members become `cancelled` at once, the
    others are cancelled as one) or resume / force-resume (failed and cancelled members
    run again)."""
    if action not in GROUP_ACTIONS:
        raise ValueError(f"unknown execution group action {action!r}")
    payload = await client.request(
        "POST", f"/api/v3.1/execution-groups/{path_segment(group_id)}", body={"action": action}
    )
    return _group(payload, f"POST /execution-groups/{group_id}")


async def get_deployment_group(client: ManagerClient, group_id: str) -> DeploymentGroup:
    """One deployment group with its member ids (NotFound when there is none)."""
    payload = await client.request(
        "GET",
        f"/api/v3.1/deployment-groups/{path_segment(group_id)}",
        params=[("_include", "id,deployment_ids,description")],
    )
    group = DeploymentGroup.from_json(payload)
    if group is None:
        raise BadResponse(f"GET /deployment-groups/{group_id} answered without a group id")
    return group
