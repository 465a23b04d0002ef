"""The simulated workflow engine: executions run as asyncio tasks on the server's loop.

Each execution walks its plan operation by operation, emitting the events and logs a
real mgmtworker emits, counting operations and moving node instances through their
states. A graceful cancel takes effect at the next task boundary; force-cancel and
kill stop the task at once. The same runner replays history for seeds, with a
virtual clock instead of real sleeps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from tui.manager.blueprints import node_instance_id
from tui.manager.columns import dumps, loads
from tui.manager.deployments import insert_instances, recompute_status
from tui.manager.events import event_row, insert_events
from tui.manager.executions import set_status
from tui.manager.nodes import new_instances
from tui.manager.services import Services
from tui.manager.statuses import END_STATES
from tui.manager.workflow_plans import Op, PlanError, Planner

log = logging.getLogger("tui.manager.engine")

Sleep = Callable[[float], Awaitable[None]]
PENDING_DELAY = 0.4  # seconds at speed 1 between `pending` and `started`
CANCEL_DELAY = 0.3  # seconds at speed 1 for a worker to confirm a stop
SNAPSHOT_SECONDS = 30.0  # how long a simulated `create_snapshot` runs at speed 1


class Engine:
    def __init__(self, services: Services, sleep: Sleep | None = None) -> None:
        self.services = services
        self.sleep: Sleep = sleep or asyncio.sleep
        self.tasks: dict[str, asyncio.Task[None]] = {}

    # -- called by the REST layer ---------------------------------------------------
    def launch(self, exec_id: str, resume: bool = False) -> None:
        old = self.tasks.pop(exec_id, None)
        if old is not None:
            old.cancel()
        task = asyncio.get_running_loop().create_task(self.run(exec_id, resume))
        self.tasks[exec_id] = task
        task.add_done_callback(lambda t: self._forget(exec_id, t))

    def request_cancel(self, exec_id: str) -> None:
        """Graceful cancel: a running task stops at its next boundary by itself."""
        if exec_id not in self.tasks:
            self._finish_later(exec_id)

    def stop_now(self, exec_id: str) -> None:
        """Force-cancel or kill: abandon the running operation."""
        task = self.tasks.pop(exec_id, None)
        if task is not None:
            task.cancel()
        self._finish_later(exec_id)

    def status_patched(self, exec_id: str, status: str) -> None:
        if status in END_STATES:
            task = self.tasks.pop(exec_id, None)
            if task is not None:
                task.cancel()
        elif status in ("force_cancelling", "kill_cancelling"):
            self.stop_now(exec_id)
        elif status == "cancelling":
            self.request_cancel(exec_id)

    def emit(self, exec_id: str, event_type: str | None, message: str, **kw: Any) -> None:
        row = self.services.store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
        if row is not None:
            insert_events(
                self.services,
                [event_row(row, self.services.clock.stamp(), message, event_type=event_type, **kw)],
            )

    async def wait(self, exec_id: str) -> None:
        """Until the run of `exec_id` ends (at once when it does not run)."""
        task = self.tasks.get(exec_id)
        if task is not None:
            await task

    async def shutdown(self) -> None:
        tasks = list(self.tasks.values())
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- internals --------------------------------------------------------------------
    def _forget(self, exec_id: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(exec_id) is task:
            del self.tasks[exec_id]

    def _finish_later(self, exec_id: str) -> None:
        async def finish() -> None:
            await self.sleep(CANCEL_DELAY / self.services.speed)
            self.finish_cancel(exec_id)

        asyncio.get_running_loop().create_task(finish())

    def finish_cancel(self, exec_id: str) -> None:
        row = self.services.store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
        if row is None or row["status"] not in (
            "cancelling",
            "force_cancelling",
            "kill_cancelling",
        ):
            return
        self.emit(
            exec_id, "workflow_cancelled", f"'{row['workflow_id']}' workflow execution cancelled"
        )
        set_status(self.services, self, exec_id, "cancelled")

    def _status(self, exec_id: str) -> str | None:
        row = self.services.store.one("SELECT status FROM executions WHERE id = ?", (exec_id,))
        return None if row is None else row["status"]

    async def run(self, exec_id: str, resume: bool = False) -> None:
        try:
            await self._run(exec_id, resume)
        except asyncio.CancelledError:
            raise
        except Exception:
            # An engine bug must not leave an execution `started` forever.
            log.exception("execution %s crashed", exec_id)
            if self._status(exec_id) not in END_STATES:
                self.emit(exec_id, "workflow_failed", "Workflow crashed inside the engine")
                set_status(self.services, self, exec_id, "failed", error=traceback.format_exc())

    async def _run(self, exec_id: str, resume: bool) -> None:
        services = self.services
        await self.sleep(PENDING_DELAY / services.speed)
        row = services.store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
        if row is None:
            return
        if row["status"] == "cancelling":
            self.finish_cancel(exec_id)
            return
        if row["status"] != "pending":
            return
        if row["deployment_id"] is None:
            await self._run_system(exec_id, row["workflow_id"], resume)
            return
        dep = services.store.one(
            "SELECT * FROM deployments WHERE tenant = ? AND id = ?",
            (row["tenant"], row["deployment_id"]),
        )
        if dep is None:
            set_status(services, self, exec_id, "failed", error="Deployment was deleted")
            return
        await self._run_workflow(row, dep, resume)

    async def _run_workflow(self, row: Any, dep: Any, resume: bool) -> None:
        """Plan the workflow, start it and run its operations to its end."""
        exec_id, wf = row["id"], row["workflow_id"]
        dry = bool(row["is_dry_run"])
        params = loads(row["parameters"], {})
        try:
            plan = self._plan(row, dep, params)
            plan_error = None
        except PlanError as exc:
            plan, plan_error = None, str(exc)
        self._begin(exec_id, wf, len(plan.ops) if plan else 0, params, resume=resume, dry=dry)
        if plan is None:
            await self._fail(exec_id, wf, plan_error or "workflow failed", None)
            return
        if plan.new_instances and not dry and not resume:
            self._add_instances(dep, plan.new_instances)
        start = (row["finished_operations"] or 0) if resume else 0
        if not await self._run_ops(exec_id, wf, dep["pk"], plan.ops, start, dry):
            return
        if not self._goes_on(exec_id):
            return
        self.emit(exec_id, "workflow_succeeded", f"'{wf}' workflow execution succeeded")
        set_status(self.services, self, exec_id, "terminated")

    def _add_instances(self, dep: Any, new: list[tuple[str, str, int]]) -> None:
        """The instances a scale out adds, related to the instances there are now."""
        store = self.services.store
        existing = [
            dict(r)
            for r in store.all(
                "SELECT id, node_id, host_id FROM node_instances WHERE deployment_pk = ? "
                "ORDER BY idx",
                (dep["pk"],),
            )
        ]
        key = f"{dep['tenant']}/{dep['id']}"
        wanted = [(node, idx) for _, node, idx in new]
        rows = new_instances(key, loads(dep["nodes"], []), wanted, existing)
        insert_instances(store, dep["pk"], rows, ignore=True)

    def _begin(
        self,
        exec_id: str,
        wf: str,
        operations: int,
        params: dict[str, Any],
        *,
        resume: bool,
        dry: bool,
    ) -> None:
        """`started`, and the events and logs a worker writes as it starts."""
        set_status(self.services, self, exec_id, "started", extra={"total_operations": operations})
        verb = "Resuming" if resume else "Starting"
        self.emit(exec_id, "workflow_started", f"{verb} '{wf}' workflow execution")
        if dry:
            self.emit(exec_id, None, "Dry run: operations are not executed", level="info")
        self.emit(
            exec_id,
            None,
            f"Workflow parameters: {json.dumps(self._loggable(exec_id, params), sort_keys=True)}",
            level="info",
        )

    async def _run_ops(
        self, exec_id: str, wf: str, dep_pk: int, ops: list[Op], start: int, dry: bool
    ) -> bool:
        """Run `ops` from `start`, counting them; False when the run stopped on the way
        (cancelled, ended by someone else, or an operation failed)."""
        for index, op in enumerate(ops[start:], start=start):
            if not self._goes_on(exec_id):
                return False
            if await self._run_op(exec_id, dep_pk, op, dry):
                await self._fail(exec_id, wf, op.fail or "operation failed", op)
                return False
            self.services.store.execute(
                "UPDATE executions SET finished_operations = ? WHERE id = ?", (index + 1, exec_id)
            )
        return True

    def _goes_on(self, exec_id: str) -> bool:
        """Whether the run goes on at this task boundary: a cancel asked meanwhile ends
        it here, and any other status but `started` means it was ended elsewhere."""
        status = self._status(exec_id)
        if status == "cancelling":
            self.finish_cancel(exec_id)
            return False
        return status == "started"

    async def _run_system(self, exec_id: str, wf: str, resume: bool) -> None:
        """A system execution (a snapshot) only takes its time: it exists so that starts
        can be seen queueing behind it. It stops at a cancel like any workflow."""
        set_status(self.services, self, exec_id, "started", move_latest=False)
        verb = "Resuming" if resume else "Starting"
        self.emit(exec_id, "workflow_started", f"{verb} '{wf}' workflow execution")
        remaining = SNAPSHOT_SECONDS / self.services.speed
        while remaining > 0:
            step = min(0.2, remaining)
            await self.sleep(step)
            remaining -= step
            if not self._goes_on(exec_id):
                return
        self.emit(exec_id, "workflow_succeeded", f"'{wf}' workflow execution succeeded")
        set_status(self.services, self, exec_id, "terminated", move_latest=False)

    def _loggable(self, exec_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters as the log shows them: those computed from a secret masked
        (the execution itself stores them evaluated, as the real manager does)."""
        masked = {
            r["name"]
            for r in self.services.store.all(
                "SELECT name FROM secret_parameters WHERE execution_id = ?", (exec_id,)
            )
        }
        return {k: "********" if k in masked else v for k, v in params.items()}

    def _plan(self, row: Any, dep: Any, params: dict[str, Any]) -> Any:
        services = self.services
        blueprint = services.store.one(
            "SELECT plan FROM blueprints WHERE tenant = ? AND id = ?",
            (dep["tenant"], dep["blueprint_id"]),
        )
        simulation = loads(blueprint["plan"], {}).get("simulation", {}) if blueprint else {}
        instances = [
            dict(r)
            for r in services.store.all(
                "SELECT id, node_id, state, idx FROM node_instances WHERE deployment_pk = ?",
                (dep["pk"],),
            )
        ]
        key = f"{dep['tenant']}/{dep['id']}"
        planner = Planner(
            row["workflow_id"],
            params,
            loads(dep["nodes"], []),
            instances,
            simulation,
            lambda node, index: node_instance_id(key, node, index),
        )
        return planner.build()

    def _set_instance(
        self, dep_pk: int, instance: str, new_state: str, runtime: dict[str, Any] | None = None
    ) -> None:
        """A state (and runtime properties) as a worker's update sets them: each update
        moves the instance's version on, as the real optimistic locking does."""
        store = self.services.store
        store.execute(
            "UPDATE node_instances SET state = ?, version = version + 1 "
            "WHERE deployment_pk = ? AND id = ?",
            (new_state, dep_pk, instance),
        )
        if runtime is not None:
            store.execute(
                "UPDATE node_instances SET runtime_properties = ?, version = version + 1 "
                "WHERE deployment_pk = ? AND id = ?",
                (dumps(runtime), dep_pk, instance),
            )
        recompute_status(self.services, dep_pk)

    async def _run_op(self, exec_id: str, dep_pk: int, op: Op, dry: bool) -> bool:
        """Run one operation; True when it failed."""
        where = {"node_instance_id": op.instance, "node_name": op.node, "operation": op.operation}
        suffix = " (dry run)" if dry else ""
        if op.pre_message:
            self.emit(
                exec_id,
                "workflow_node_event",
                op.pre_message + suffix,
                node_instance_id=op.instance,
                node_name=op.node,
            )
        if op.pre_state and not dry:
            self._set_instance(dep_pk, op.instance, op.pre_state)
        self.emit(exec_id, "sending_task", f"Sending task '{op.task}'{suffix}", **where)
        self.emit(exec_id, "task_started", f"Task started '{op.task}'{suffix}", **where)
        await self.sleep((0.05 if dry else op.duration) / self.services.speed)
        if op.fail and not dry:
            self.emit(exec_id, None, op.fail, level="error", **where)
            self.emit(
                exec_id,
                "task_failed",
                f"Task failed '{op.task}'",
                error_causes=[
                    {
                        "message": op.fail,
                        "type": "NonRecoverableError",
                        "traceback": _traceback(op),
                    }
                ],
                **where,
            )
            return True
        self.emit(exec_id, None, op.log + suffix, level="info", **where)
        self.emit(exec_id, "task_succeeded", f"Task succeeded '{op.task}'{suffix}", **where)
        if not dry:
            if op.remove_instance:
                self.services.store.execute(
                    "DELETE FROM node_instances WHERE deployment_pk = ? AND id = ?",
                    (dep_pk, op.instance),
                )
                recompute_status(self.services, dep_pk)
            elif op.post_state:
                self._set_instance(dep_pk, op.instance, op.post_state, op.runtime)
        return False

    async def _fail(self, exec_id: str, wf: str, message: str, op: Op | None) -> None:
        self.emit(exec_id, "workflow_failed", f"'{wf}' workflow execution failed: {message}")
        error = (
            _traceback(op)
            if op is not None
            else 'Traceback (most recent call last):\n  File "/opt/mgmtworker/env/lib/'
            'python3.11/site-packages/cloudify/dispatch.py", line 1132, in main\n'
            f"    raise\n{message}\n"
        )
        set_status(self.services, self, exec_id, "failed", error=error)


def _traceback(op: Op) -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/opt/mgmtworker/env/lib/python3.11/site-packages/cloudify/dispatch.py", '
        "line 1132, in main\n"
        "    payload = handler.handle()\n"
        f'  File "/opt/mgmtworker/env/plugins/{op.task.split(".")[0]}/tasks.py", '
        "line 87, in run\n"
        f"    raise NonRecoverableError({op.fail!r})\n"
        f"cloudify.exceptions.NonRecoverableError: {op.fail}\n"
    )
