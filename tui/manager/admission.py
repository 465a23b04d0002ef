"""Starting an execution (`POST /executions`): the body's checks, the deployment's
environment, the workflow's parameters (intrinsic functions evaluated, see
`functions.py`) and availability, and the decision between `pending`, `queued` and a
refusal. Every refusal is raised before anything is stored.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from tui.manager.blueprints import workflow_is_available
from tui.manager.columns import loads
from tui.manager.deployments import get_deployment, instance_states, node_type_set
from tui.manager.errors import (
    BadParameters,
    DeploymentCreation,
    DeploymentEnvironmentInProgress,
    DeploymentEnvironmentPending,
    ExistingRunningExecution,
    NonexistentWorkflow,
    UnavailableWorkflow,
)
from tui.manager.executions import insert_execution
from tui.manager.functions import Evaluator
from tui.manager.listing import parse_bool
from tui.manager.params import OBJECT_TYPES, DeploymentFacts, merge_parameters
from tui.manager.runner import Runner
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES
from tui.manager.store import marks

# Workflow names the real manager accepts on any deployment, with custom parameters.
SYSTEM_WORKFLOW_NAMES = {
    "create_snapshot",
    "restore_snapshot",
    "uninstall_plugin",
    "create_deployment_environment",
    "delete_deployment_environment",
    "update_plugin",
    "upload_blueprint",
    "csys_update_deployment",
    "update",
    "create_log_bundle",
}


@dataclass(frozen=True)
class StartRequest:
    """What `POST /executions` asks for, its body checked as the real manager checks it."""

    deployment_id: str
    workflow_id: Any
    parameters: dict[str, Any]
    allow_custom: bool
    force: bool
    dry_run: bool
    queue: bool
    wait_after_fail: Any


def start_execution(
    services: Services, runner: Runner, tenant: str, username: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`POST /executions`: validate, decide pending / queued / conflict, persist, launch.

    Every refusal is raised before the execution is stored, as the real manager's
    rollback leaves nothing behind: no row, no events, no `latest_execution` change.
    """
    start = _start_request(body)
    dep = get_deployment(services, tenant, start.deployment_id)
    _check_environment(services, dep)
    workflows = loads(dep["workflows"], {})
    evaluator = Evaluator(services, tenant, dep, username)
    merged = merged_parameters(services, dep, workflows, start, evaluator)
    unavailable = not start.force and is_unavailable(services, dep, workflows, start.workflow_id)
    with services.store.tx():
        status = admission_status(services, tenant, dep["id"], force=start.force, queue=start.queue)
        if unavailable and status == "pending":
            # The real `prepare_executions` checks availability after concurrency and marks
            # the new row failed, but inside the request's transaction: the raised error
            # rolls that row back, so a refused start leaves no execution and no events
            # (probed on 7.0.4). A queued start is not checked here.
            raise UnavailableWorkflow(f"Workflow not available: {start.workflow_id}")
        exec_id = insert_execution(
            services,
            tenant=tenant,
            deployment=dep,
            workflow_id=start.workflow_id,
            status=status,
            parameters=merged,
            created_by=username,
            allow_custom_parameters=start.allow_custom,
            is_dry_run=start.dry_run,
            wait_after_fail=int(start.wait_after_fail),
        )
        services.store.executemany(
            "INSERT INTO secret_parameters (execution_id, name) VALUES (?, ?)",
            [(exec_id, name) for name in sorted(evaluator.secret_parameters)],
        )
    # A queued execution stores no event: the real manager's `workflow_queued` is a
    # hook message, never written to the events table.
    if status != "queued":
        runner.launch(exec_id)
    return services.store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))


def _start_request(body: dict[str, Any]) -> StartRequest:
    if "deployment_id" not in body:
        raise BadParameters("Missing deployment_id in json request body")
    if "workflow_id" not in body:
        raise BadParameters("Missing workflow_id in json request body")
    parameters = body.get("parameters")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise BadParameters(
            "request body's 'parameters' field must be a dict but is of type "
            f"{type(parameters).__name__}"
        )
    allow_custom = _flag(body, "allow_custom_parameters")
    force = _flag(body, "force")
    dry_run = _flag(body, "dry_run")
    queue = _flag(body, "queue")
    wait_after_fail = body.get("wait_after_fail")
    if body.get("scheduled_time"):
        raise BadParameters(
            "Scheduled executions are not supported by this manager; use queue instead"
        )
    if not isinstance(body["deployment_id"], str) or not body["deployment_id"]:
        raise BadParameters("Deployment-less executions are not supported by this manager")
    return StartRequest(
        body["deployment_id"],
        body["workflow_id"],
        parameters,
        allow_custom,
        force,
        dry_run,
        queue,
        600 if wait_after_fail is None else wait_after_fail,
    )


def _flag(body: dict[str, Any], name: str) -> bool:
    """A boolean of the start body: absent is false, but an explicit null is refused,
    as the real `verify_and_convert_bool` does."""
    if name not in body:
        return False
    return parse_bool(body[name], name)


def _check_environment(services: Services, dep: sqlite3.Row) -> None:
    create_id = dep["create_execution"]
    if not create_id:
        return
    row = services.store.one("SELECT status, error FROM executions WHERE id = ?", (create_id,))
    if row is None:
        return
    status = row["status"]
    if status == "terminated":
        return
    if status == "pending":
        raise DeploymentEnvironmentPending(
            "Deployment environment creation is still pending, try again in a minute"
        )
    if status == "started":
        raise DeploymentEnvironmentInProgress(
            "Deployment environment creation is still in progress, try again in a minute"
        )
    if status == "failed":
        last = (row["error"] or "").strip().splitlines()[-1:] or [""]
        raise DeploymentCreation(
            f"Can't launch executions since environment creation for deployment {dep['id']} "
            f"has failed: {last[0]}"
        )
    if status in ("cancelled", "cancelling", "force_cancelling"):
        raise DeploymentCreation(
            f"Can't launch executions since the environment creation for deployment "
            f"{dep['id']} has been cancelled [status={status}]"
        )
    # queued, scheduled, kill_cancelling: the real server has no better message
    raise DeploymentCreation(
        f"Unexpected deployment status for deployment {dep['id']} [status={status}]"
    )


def merged_parameters(
    services: Services,
    dep: sqlite3.Row,
    workflows: dict[str, Any],
    start: StartRequest,
    evaluator: Evaluator,
) -> dict[str, Any]:
    """The parameters to store: the given ones with the declared defaults, intrinsic
    functions evaluated, then checked. A system workflow's name takes any parameters."""
    workflow_id = start.workflow_id
    is_system_name = workflow_id in SYSTEM_WORKFLOW_NAMES
    if workflow_id not in workflows and not is_system_name:
        raise NonexistentWorkflow(
            f"Workflow {workflow_id} does not exist in the deployment {dep['id']}"
        )
    declared = workflows.get(workflow_id, {}).get("parameters", {})
    # The facts (every deployment and blueprint of the tenant, ...) are read only when
    # a declared parameter has an object type to check: an execution group starts
    # one execution per member, and must not read the whole tenant for each.
    typed = any(
        isinstance(spec, dict) and spec.get("type") in OBJECT_TYPES for spec in declared.values()
    )
    return merge_parameters(
        workflow_id,
        declared,
        start.parameters,
        start.allow_custom or is_system_name,
        _deployment_facts(services, dep) if typed else None,
        evaluator.parameters,
    )


def _deployment_facts(services: Services, dep: sqlite3.Row) -> DeploymentFacts:
    nodes = loads(dep["nodes"], [])
    instances = {
        r["id"]
        for r in services.store.all(
            "SELECT id FROM node_instances WHERE deployment_pk = ?", (dep["pk"],)
        )
    }
    operations = {op for node in nodes for op in node.get("interfaces", {})}
    operations |= {
        f"cloudify.interfaces.lifecycle.{op}"
        for op in (
            "create",
            "configure",
            "start",
            "stop",
            "delete",
            "precreate",
            "poststart",
            "prestop",
            "postdelete",
            "check_drift",
            "heal",
            "update",
            "pull",
        )
    }
    operations |= {"cloudify.interfaces.validation.check_status"}
    deployments = {
        r["id"]
        for r in services.store.all("SELECT id FROM deployments WHERE tenant = ?", (dep["tenant"],))
    }
    blueprints = {
        r["id"]
        for r in services.store.all("SELECT id FROM blueprints WHERE tenant = ?", (dep["tenant"],))
    }
    return DeploymentFacts(
        node_ids={n["id"] for n in nodes},
        node_types=node_type_set(nodes),
        node_instance_ids=instances,
        operations=operations,
        deployment_ids=deployments,
        blueprint_ids=blueprints,
        scaling_groups=set(),
    )


def is_unavailable(
    services: Services, dep: sqlite3.Row, workflows: dict[str, Any], workflow_id: Any
) -> bool:
    """Whether the deployment's workflow is unavailable in the state its nodes are in."""
    if workflow_id not in workflows:
        return False
    states = instance_states(services, [dep["pk"]])[dep["pk"]]
    node_types = node_type_set(loads(dep["nodes"], []))
    return not workflow_is_available(workflows[workflow_id], states, node_types)


def admission_status(
    services: Services,
    tenant: str,
    dep_id: str,
    *,
    force: bool,
    queue: bool,
    exclude: str = "",
) -> str:
    """The status a new execution of `dep_id` gets: `pending`, or `queued` when something
    runs (or waits) there and `queue` was asked for.

    Raises `ExistingRunningExecution` otherwise. It only reads, so a caller can decide
    everything before it stores the execution: a refused start must leave nothing behind.
    `exclude` is an execution already stored (an execution group's member), which does
    not block itself.
    """
    system = services.store.one(
        "SELECT 1 FROM executions WHERE is_system_workflow = 1 AND "
        f"status IN ({marks(ACTIVE_STATES)}, 'queued') LIMIT 1",
        ACTIVE_STATES,
    )
    if system is not None:
        # While a system execution (a snapshot) runs or waits, every start is queued,
        # forced or not, with or without `queue` (`check_for_executions`).
        return "queued"
    if force:
        return "pending"
    blockers = services.store.all(
        "SELECT * FROM executions WHERE tenant = ? AND deployment_id = ? AND id != ? AND "
        f"status IN ({marks(ACTIVE_STATES)}, 'queued') "
        "ORDER BY created_at",
        (tenant, dep_id, exclude, *ACTIVE_STATES),
    )
    if not blockers:
        return "pending"
    if not queue:
        raise ExistingRunningExecution(
            "The following executions are currently running for this deployment: "
            f"{blocking_repr(blockers)}. To execute this workflow anyway, pass "
            '"force=true" as a query parameter to this request'
        )
    return "queued"


def blocking_repr(rows: list[sqlite3.Row]) -> str:
    """The Python repr list the real manager embeds in its conflict message."""
    return (
        "["
        + ", ".join(
            f"<Execution id=`{r['id']}` tenant=`{r['tenant']}` status=`{r['status']}` "
            f"workflow_id=`{r['workflow_id']}`>"
            for r in rows
        )
        + "]"
    )
