"""What each workflow does to a deployment: the ordered operations the engine runs.

Built-in workflows follow the real lifecycle (install walks create, configure, start
in dependency order; uninstall walks stop, delete in reverse). Custom workflows and
injected failures come from the blueprint's `simulation` section.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from tui.manager.nodes import created_properties

LIFECYCLE = "cloudify.interfaces.lifecycle."
DEFAULT_DURATIONS = {"create": 3.0, "configure": 2.0, "start": 2.0, "stop": 1.5, "delete": 2.0}
# (operation, state while running, state after, node event before it)
INSTALL_STEPS = [
    ("create", "creating", "created", "Creating node instance"),
    ("configure", "configuring", "configured", "Configuring node instance"),
    ("start", "starting", "started", "Starting node instance"),
]
UNINSTALL_STEPS = [
    ("stop", "stopping", "stopped", "Stopping node instance"),
    ("delete", "deleting", "deleted", "Deleting node instance"),
]
START_STEPS = [INSTALL_STEPS[2]]
STOP_STEPS = [UNINSTALL_STEPS[0]]
# Deployment environment workflows run no node operations.
ENVIRONMENT_WORKFLOWS = ("create_deployment_environment", "delete_deployment_environment")
PHASE_LOGS = {
    "create": "Provisioning {instance}",
    "configure": "Applying configuration to {instance}",
    "start": "{instance} is up",
    "stop": "Stopping services on {instance}",
    "delete": "Releasing resources of {instance}",
}


class PlanError(Exception):
    """The workflow cannot run with these parameters; it fails as soon as it starts."""


@dataclass
class Op:
    instance: str
    node: str
    operation: str
    task: str
    duration: float
    log: str
    pre_state: str | None = None
    post_state: str | None = None
    pre_message: str | None = None
    fail: str | None = None
    remove_instance: bool = False
    # the instance's runtime properties once the operation succeeded (None: unchanged)
    runtime: dict[str, Any] | None = None


@dataclass
class Plan:
    ops: list[Op]
    new_instances: list[tuple[str, str, int]]  # (instance id, node id, index)


def jitter(key: str) -> float:
    """A stable factor in [0.6, 1.4) so that durations look real but never change."""
    digest = hashlib.sha256(key.encode()).digest()
    return 0.6 + (digest[0] / 255.0) * 0.8


class Planner:
    def __init__(
        self,
        workflow_id: str,
        parameters: dict[str, Any],
        nodes: list[dict[str, Any]],
        instances: list[dict[str, Any]],
        simulation: dict[str, Any],
        new_instance_id: Any,
    ) -> None:
        self.workflow_id = workflow_id
        self.params = parameters
        self.nodes = nodes
        self.node_by_id = {n["id"]: n for n in nodes}
        self.instances = instances  # dicts: id, node_id, state, idx (in node order)
        self.sim = simulation or {}
        self.new_instance_id = new_instance_id

    # -- selection --------------------------------------------------------------------
    def _ordered_instances(self) -> list[dict[str, Any]]:
        order = {n["id"]: i for i, n in enumerate(self.nodes)}
        return sorted(self.instances, key=lambda r: (order.get(r["node_id"], 0), r["idx"]))

    def _filtered(self) -> list[dict[str, Any]]:
        selected = self._ordered_instances()
        type_names = self.params.get("type_names") or []
        node_ids = self.params.get("node_ids") or []
        instance_ids = self.params.get("node_instance_ids") or []
        if type_names:
            selected = [
                r
                for r in selected
                if set(type_names) & set(self.node_by_id[r["node_id"]]["type_hierarchy"])
            ]
        if node_ids:
            selected = [r for r in selected if r["node_id"] in node_ids]
        if instance_ids:
            selected = [r for r in selected if r["id"] in instance_ids]
        return selected

    # -- operations -------------------------------------------------------------------
    def _override(self, node_id: str, short: str) -> dict[str, Any]:
        ops = self.sim.get("operations") or {}
        return ops.get(f"{node_id}.{short}") or ops.get(f"*.{short}") or {}

    def _op(
        self,
        inst: dict[str, Any],
        short: str,
        operation: str,
        *,
        pre_state: str | None = None,
        post_state: str | None = None,
        pre_message: str | None = None,
        base: float | None = None,
        log: str | None = None,
        fail: str | None = None,
    ) -> Op:
        node = self.node_by_id.get(inst["node_id"], {"interfaces": {}})
        override = self._override(inst["node_id"], short)
        default = float(self.sim.get("default_duration", 0) or 0) or DEFAULT_DURATIONS.get(
            short, 2.0
        )
        duration = float(override.get("duration", base if base is not None else default))
        return Op(
            instance=inst["id"],
            node=inst["node_id"],
            operation=operation,
            task=node["interfaces"].get(operation) or "script_runner.tasks.run",
            duration=duration * jitter(f"{inst['id']}/{operation}"),
            log=(log or PHASE_LOGS.get(short, "Running {operation} on {instance}"))
            .replace("{instance}", inst["id"])
            .replace("{operation}", operation),
            pre_state=pre_state,
            post_state=post_state,
            pre_message=pre_message,
            fail=override.get("fail", fail),
        )

    def _lifecycle(
        self, instances: list[dict[str, Any]], steps: list[tuple[str, str, str, str]]
    ) -> list[Op]:
        ops = []
        for inst in instances:
            for short, during, after, message in steps:
                op = self._op(
                    inst,
                    short,
                    LIFECYCLE + short,
                    pre_state=during,
                    post_state=after,
                    pre_message=message,
                )
                op.runtime = self._runtime_after(inst, short)
                ops.append(op)
        return ops

    def _runtime_after(self, inst: dict[str, Any], short: str) -> dict[str, Any] | None:
        """A create gives a Compute its address; a delete leaves nothing behind (what
        infrastructure plugins do to the instances they manage)."""
        if short == "delete":
            return {}
        if short == "create":
            return created_properties(self.node_by_id.get(inst["node_id"], {}), inst["id"])
        return None

    def build(self) -> Plan:
        wf = self.workflow_id
        selected = self._filtered()
        new: list[tuple[str, str, int]] = []
        if wf in ENVIRONMENT_WORKFLOWS:
            ops = []
        elif wf == "install":
            ops = self._lifecycle(selected, INSTALL_STEPS)
        elif wf == "uninstall":
            ops = self._lifecycle(list(reversed(selected)), UNINSTALL_STEPS)
        elif wf == "reinstall":
            ops = self._lifecycle(list(reversed(selected)), UNINSTALL_STEPS)
            ops += self._lifecycle(selected, INSTALL_STEPS)
        elif wf == "start":
            ops = self._lifecycle(selected, START_STEPS)
        elif wf == "stop":
            ops = self._lifecycle(list(reversed(selected)), STOP_STEPS)
        elif wf == "restart":
            ops = self._lifecycle(list(reversed(selected)), STOP_STEPS)
            ops += self._lifecycle(selected, START_STEPS)
        elif wf == "heal":
            target = self.params.get("node_instance_id")
            chosen = [r for r in selected if not target or r["id"] == target]
            ops = self._lifecycle(list(reversed(chosen)), UNINSTALL_STEPS)
            ops += self._lifecycle(chosen, INSTALL_STEPS)
        elif wf == "scale":
            ops, new = self._scale()
        elif wf == "execute_operation":
            operation = str(self.params.get("operation"))
            short = operation.rsplit(".", 1)[-1]
            ops = [self._op(inst, short, operation) for inst in selected]
        elif wf in ("check_status", "check_drift", "pull", "validate_agents", "install_new_agents"):
            operation = {
                "check_status": "cloudify.interfaces.validation.check_status",
                "check_drift": LIFECYCLE + "check_drift",
                "pull": LIFECYCLE + "pull",
                "validate_agents": "cloudify.interfaces.cloudify_agent.validate_amqp",
                "install_new_agents": "cloudify.interfaces.cloudify_agent.create",
            }[wf]
            short = operation.rsplit(".", 1)[-1]
            ops = [self._op(inst, short, operation, base=1.0) for inst in selected]
        elif wf == "rollback":
            stuck = [r for r in selected if r["state"] not in ("started", "uninitialized")]
            ops = self._lifecycle(list(reversed(stuck)), UNINSTALL_STEPS)
        else:
            ops = self._custom(selected)
        return Plan(ops, new)

    def _scale(self) -> tuple[list[Op], list[tuple[str, str, int]]]:
        name = self.params.get("scalable_entity_name")
        if name not in self.node_by_id:
            raise PlanError(f"ValueError: No scale group or node with name {name}")
        delta = int(self.params.get("delta", 1))
        current = [r for r in self._ordered_instances() if r["node_id"] == name]
        if delta >= 0:
            start = max((r["idx"] for r in current), default=-1) + 1
            new = [(self.new_instance_id(name, start + i), name, start + i) for i in range(delta)]
            fresh = [{"id": i, "node_id": n, "state": "uninitialized", "idx": x} for i, n, x in new]
            return self._lifecycle(fresh, INSTALL_STEPS), new
        if -delta > len(current):
            raise PlanError(
                f"ValueError: Cannot scale {name} by {delta}: only {len(current)} instances"
            )
        removed = list(reversed(current))[:-delta]
        ops = self._lifecycle(removed, UNINSTALL_STEPS)
        for op in ops:
            if op.operation == LIFECYCLE + "delete":
                op.remove_instance = True
        return ops, []

    def _custom(self, selected: list[dict[str, Any]]) -> list[Op]:
        spec = (self.sim.get("workflows") or {}).get(self.workflow_id) or {}
        nodes = spec.get("nodes")
        chosen = [r for r in selected if not nodes or r["node_id"] in nodes]
        operation = spec.get("operation") or f"custom.{self.workflow_id}"
        steps = int(spec.get("steps", 1))
        duration = float(spec.get("duration", 2.0))
        logs = spec.get("logs") or []
        ops = []
        for inst in chosen:
            for step in range(steps):
                log = logs[step % len(logs)] if logs else None
                ops.append(
                    self._op(
                        inst,
                        operation.rsplit(".", 1)[-1],
                        operation,
                        base=duration,
                        log=log,
                    )
                )
        if spec.get("fail") and ops:
            index = int(spec.get("fail_at", len(ops) - 1))
            ops[min(index, len(ops) - 1)].fail = str(spec["fail"])
        return ops
