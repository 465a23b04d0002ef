"""Typed, immutable views of the manager's JSON that tolerate unknown, missing and
wrongly typed fields: a field that is not what the contract says becomes its
empty value, never an exception. Display code decides how to show absence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

END_STATES = frozenset({"terminated", "failed", "cancelled"})
WAITING_STATES = frozenset({"queued", "scheduled"})
STOPPING_STATES = frozenset({"cancelling", "force_cancelling", "kill_cancelling"})
# What an operator resumes from: force-resume only these; a manager also takes a plain
# resume of `started` (a re-send after a worker restart), which is not ours to offer.
RESUMABLE_STATES = frozenset({"failed", "cancelled"})
ACTIVE_STATES = frozenset({"pending", "started"}) | STOPPING_STATES
# What "active" means for the poller: anything not ended.
UNFINISHED_STATES = ACTIVE_STATES | WAITING_STATES


def text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return default


def opt_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def integer(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = data.get(key)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:  # not isdigit(): "²" and "--5" pass it, and int() refuses them
            return int(value)
        except ValueError:
            return default
    return default


def boolean(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def mapping(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_time(value: str | None) -> datetime | None:
    """Manager timestamps (`...Z`, naive means UTC); None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Years 1 and 9999 overflow as soon as a time zone moves them (OverflowError).
    if not 1 < parsed.year < 9999:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str | None = None
    item_type: str | None = None
    default: Any = MISSING
    description: str | None = None
    required: bool | None = None
    constraints: tuple[Any, ...] = ()

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    @property
    def mandatory(self) -> bool:
        """The manager's rule: no default, and `required` is not false."""
        return not self.has_default and self.required is not False

    @classmethod
    def from_json(cls, name: str, data: Any) -> ParameterSpec:
        data = as_mapping(data)
        constraints = data.get("constraints")
        return cls(
            name=name,
            type=opt_text(data, "type"),
            item_type=opt_text(data, "item_type"),
            default=data.get("default", MISSING),
            description=opt_text(data, "description"),
            required=data["required"] if isinstance(data.get("required"), bool) else None,
            constraints=tuple(constraints) if isinstance(constraints, list) else (),
        )


@dataclass(frozen=True)
class Workflow:
    name: str
    parameters: tuple[ParameterSpec, ...] = ()
    is_available: bool = True
    availability_rules: dict[str, Any] = field(default_factory=dict)
    plugin: str = ""
    operation: str = ""

    @property
    def unavailable_reason(self) -> str:
        """Why the manager says it is unavailable, in words (empty when available)."""
        if self.is_available:
            return ""
        rules = self.availability_rules
        if rules.get("available") is False:
            return "disabled in the blueprint"
        required = rules.get("node_types_required")
        if isinstance(required, list) and required:
            return "needs a node of type " + " or ".join(str(t) for t in required)
        active = rules.get("node_instances_active")
        if isinstance(active, list) and active:
            allowed = {str(a) for a in active}
            if allowed == {"none", "partial"}:
                return "deployment is installed"
            if allowed == {"all", "partial"}:
                return "deployment is not installed"
            if allowed == {"all"}:
                return "not every node instance is started"
            if allowed == {"none"}:
                return "some node instances are started"
            return "node instance states do not allow it"
        return "not available in the current state"

    @classmethod
    def from_json(cls, data: Any) -> Workflow | None:
        data = as_mapping(data)
        name = opt_text(data, "name")
        if not name:
            return None
        params = mapping(data, "parameters")
        return cls(
            name=name,
            parameters=tuple(ParameterSpec.from_json(str(k), v) for k, v in params.items()),
            is_available=boolean(data, "is_available", True),
            availability_rules=mapping(data, "availability_rules"),
            plugin=text(data, "plugin"),
            operation=text(data, "operation"),
        )


@dataclass(frozen=True)
class Label:
    """A deployment label (`env=prod`): a key may carry several values."""

    key: str
    value: str

    @classmethod
    def all_from_json(cls, data: Any) -> tuple[Label, ...]:
        """`[{"key": .., "value": ..}, ...]` as the manager lists them; items without
        a key are dropped, a repeated pair is kept once."""
        pairs: dict[tuple[str, str], None] = {}
        for item in data if isinstance(data, list) else ():
            item = as_mapping(item)
            key = opt_text(item, "key")
            if key:
                pairs.setdefault((key, text(item, "value")), None)
        return tuple(cls(key, value) for key, value in pairs)


@dataclass(frozen=True)
class Deployment:
    id: str
    display_name: str = ""
    blueprint_id: str = ""
    tenant_name: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    latest_execution: str | None = None
    latest_execution_status: str | None = None
    latest_execution_workflow_id: str | None = None
    deployment_status: str = ""
    installation_status: str = ""
    workflows: tuple[Workflow, ...] = ()
    # Read whole (the details screen), not in lists: empty when not asked for.
    description: str = ""
    site_name: str = ""
    created_by: str = ""
    labels: tuple[Label, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def workflow(self, name: str) -> Workflow | None:
        """The workflow it declares as `name`, or None."""
        return next((w for w in self.workflows if w.name == name), None)

    @classmethod
    def from_json(cls, data: Any) -> Deployment | None:
        data = as_mapping(data)
        dep_id = opt_text(data, "id")
        if not dep_id:
            return None
        workflows = data.get("workflows")
        by_name: dict[str, Workflow] = {}  # names are keys: the first of a duplicate wins
        for item in workflows if isinstance(workflows, list) else ():
            workflow = Workflow.from_json(item)
            if workflow is not None:
                by_name.setdefault(workflow.name, workflow)
        parsed = tuple(by_name.values())
        return cls(
            id=dep_id,
            display_name=text(data, "display_name", dep_id),
            blueprint_id=text(data, "blueprint_id"),
            tenant_name=text(data, "tenant_name"),
            created_at=opt_text(data, "created_at"),
            updated_at=opt_text(data, "updated_at"),
            latest_execution=opt_text(data, "latest_execution"),
            latest_execution_status=opt_text(data, "latest_execution_status"),
            latest_execution_workflow_id=opt_text(data, "latest_execution_workflow_id"),
            deployment_status=text(data, "deployment_status"),
            installation_status=text(data, "installation_status"),
            workflows=parsed,
            description=text(data, "description"),
            site_name=text(data, "site_name"),
            created_by=text(data, "created_by"),
            labels=Label.all_from_json(data.get("labels")),
            inputs=mapping(data, "inputs"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Execution:
    id: str
    workflow_id: str = ""
    deployment_id: str = ""
    status: str = ""
    error: str = ""
    created_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    created_by: str = ""
    total_operations: int = 0
    finished_operations: int = 0
    is_dry_run: bool = False
    # A system workflow (a snapshot, a plugin update): it has no deployment, and while
    # it runs or waits a manager queues every start.
    is_system_workflow: bool = False
    parameters: dict[str, Any] = field(default_factory=dict, compare=False)
    blueprint_id: str = ""
    tenant_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_ended(self) -> bool:
        return self.status in END_STATES

    @property
    def is_unfinished(self) -> bool:
        return self.status in UNFINISHED_STATES

    @property
    def error_summary(self) -> str:
        """The useful line of an error: the last non-empty line of a traceback."""
        lines = [line.strip() for line in self.error.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    @classmethod
    def from_json(cls, data: Any) -> Execution | None:
        data = as_mapping(data)
        exec_id = opt_text(data, "id")
        if not exec_id:
            return None
        return cls(
            id=exec_id,
            workflow_id=text(data, "workflow_id"),
            deployment_id=text(data, "deployment_id"),
            status=text(data, "status"),
            error=text(data, "error"),
            created_at=opt_text(data, "created_at"),
            started_at=opt_text(data, "started_at"),
            ended_at=opt_text(data, "ended_at"),
            created_by=text(data, "created_by"),
            total_operations=max(0, integer(data, "total_operations")),
            finished_operations=max(0, integer(data, "finished_operations")),
            is_dry_run=boolean(data, "is_dry_run"),
            is_system_workflow=boolean(data, "is_system_workflow"),
            parameters=mapping(data, "parameters"),
            blueprint_id=text(data, "blueprint_id"),
            tenant_name=text(data, "tenant_name"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Event:
    storage_id: int
    type: str
    timestamp: str | None
    message: str
    event_type: str = ""
    level: str = ""
    node_instance_id: str = ""
    operation: str = ""
    execution_id: str = ""
    error_causes: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, int, str | None, str]:
        """De-duplication key: `_storage_id` is unique only per type (events and logs
        have independent sequences on the real manager). The time and message are
        kept in the key for items without a `_storage_id` (-1)."""
        if self.storage_id >= 0:
            return (self.type, self.storage_id, None, "")
        return (self.type, self.storage_id, self.timestamp, self.message)

    @classmethod
    def from_json(cls, data: Any) -> Event | None:
        data = as_mapping(data)
        if not data:
            return None
        causes = data.get("error_causes")
        return cls(
            storage_id=integer(data, "_storage_id", -1),
            type=text(data, "type"),
            timestamp=opt_text(data, "reported_timestamp") or opt_text(data, "timestamp"),
            message=text(data, "message"),
            event_type=text(data, "event_type"),
            level=text(data, "level"),
            node_instance_id=text(data, "node_instance_id"),
            operation=text(data, "operation"),
            execution_id=text(data, "execution_id"),
            error_causes=tuple(c for c in causes if isinstance(c, Mapping))
            if isinstance(causes, list)
            else (),
            raw=dict(data),
        )


# Node instance states (the DSL lifecycle): an install goes uninitialized ->
# initializing -> creating -> created -> configuring -> configured -> starting ->
# started, an uninstall started -> stopping -> stopped -> deleting -> deleted.
INSTANCE_STATES = (
    "uninitialized",
    "initializing",
    "creating",
    "created",
    "configuring",
    "configured",
    "starting",
    "started",
    "stopping",
    "stopped",
    "deleting",
    "deleted",
)


@dataclass(frozen=True)
class NodeInstance:
    id: str
    node_id: str = ""
    deployment_id: str = ""
    state: str = ""
    host_id: str = ""
    index: int | None = None
    runtime_properties: dict[str, Any] = field(default_factory=dict, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> NodeInstance | None:
        data = as_mapping(data)
        instance_id = opt_text(data, "id")
        if not instance_id:
            return None
        index = data.get("index")
        return cls(
            id=instance_id,
            node_id=text(data, "node_id"),
            deployment_id=text(data, "deployment_id"),
            state=text(data, "state"),
            host_id=text(data, "host_id"),
            index=index if isinstance(index, int) and not isinstance(index, bool) else None,
            runtime_properties=mapping(data, "runtime_properties"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ExecutionGroup:
    id: str
    workflow_id: str = ""
    deployment_group_id: str = ""
    concurrency: int = 0
    status: str = ""
    created_at: str | None = None
    created_by: str = ""
    execution_ids: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> ExecutionGroup | None:
        data = as_mapping(data)
        group_id = opt_text(data, "id")
        if not group_id:
            return None
        ids = data.get("execution_ids")
        return cls(
            id=group_id,
            workflow_id=text(data, "workflow_id"),
            deployment_group_id=text(data, "deployment_group_id"),
            concurrency=max(0, integer(data, "concurrency")),
            status=text(data, "status"),
            created_at=opt_text(data, "created_at"),
            created_by=text(data, "created_by"),
            execution_ids=tuple(str(i) for i in ids if isinstance(i, str))
            if isinstance(ids, list)
            else (),
            raw=dict(data),
        )


@dataclass(frozen=True)
class DeploymentGroup:
    id: str
    deployment_ids: tuple[str, ...] = ()
    description: str = ""

    @classmethod
    def from_json(cls, data: Any) -> DeploymentGroup | None:
        data = as_mapping(data)
        group_id = opt_text(data, "id")
        if not group_id:
            return None
        ids = data.get("deployment_ids")
        return cls(
            id=group_id,
            deployment_ids=tuple(str(i) for i in ids if isinstance(i, str))
            if isinstance(ids, list)
            else (),
            description=text(data, "description"),
        )


@dataclass(frozen=True)
class VersionInfo:
    version: str
    edition: str = ""

    @classmethod
    def from_json(cls, data: Any) -> VersionInfo:
        data = as_mapping(data)
        return cls(version=text(data, "version", "?"), edition=text(data, "edition"))


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    size: int
    offset: int
