"""What a client sees differ between the manager versions `--emulate` can answer as.

The embedded manager's own tables (`tables.DEPLOYMENTS` and `tables.EXECUTIONS`: their
filter and sort keys, and their keys) are those of the reference service,
7.0.4. Every other version is described here as a difference from 7.0.4, each one
read from the real manager's source (`cloudify-cosmo/cloudify-manager`, paths under
`rest-service/manager_rest/`), so that a client can be tried against the answers of
an older or newer manager without one:

- the version string (`/api/version`, `/api/v3.1/version`, `/managers`);
- the keys a deployment / execution has, which are the keys `_include` accepts
  (`response_fields`) and the keys `_sort` and filters accept (`resource_fields`);
  anything else is refused with the one wording every tag shares
  (`rest/rest_decorators.py` `_validate_fields`, identical in 6.2.0, 6.4.2, 7.0.4
  and master: ``Include keys '[...]' do not exist. Allowed keys are: [...]``);
- the keys of a workflow object (`rest/responses.py` `Workflow`);
- whether `GET /deployments` renders `workflows` without `_get_data=true`;
- whether `POST /events` keeps the sender's `timestamp` / `reported_timestamp`.

Nothing else (statuses, the engine, errors) changes with the emulated version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.manager.columns import Field
from tui.manager.tables import DEPLOYMENTS, EXECUTIONS, LEGACY_FIELDS

WORKFLOW_KEYS = (
    "name",
    "plugin",
    "operation",
    "parameters",
    "is_cascading",
    "is_available",
    "availability_rules",
)


@dataclass(frozen=True)
class Emulation:
    """One manager version as a client sees it."""

    name: str  # what `--emulate` takes: 6.2, 6.4, 7.0, 7.1
    version: str  # what `/api/version` says
    deployment_fields: Mapping[str, Field]  # filter and sort keys
    deployment_includes: frozenset[str]  # `_include` keys, and the keys of the object
    execution_fields: Mapping[str, Field]
    execution_includes: frozenset[str]
    workflow_keys: tuple[str, ...] = WORKFLOW_KEYS
    # 6.2.0 builds each Workflow without `is_cascading`, so it is always false there.
    workflow_cascading: bool = True
    # master (7.1) renders the list's `workflows` only with `_get_data=true`.
    list_workflows_need_get_data: bool = False
    # 6.2.0 stamps both times of a posted event with its own clock.
    sender_timestamps: bool = True

    def workflows(self, rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Workflow objects with only the keys this version's `Workflow` has."""
        if self.workflow_keys == WORKFLOW_KEYS and self.workflow_cascading:
            return rendered
        shaped = []
        for wf in rendered:
            item = {key: wf[key] for key in self.workflow_keys}
            if not self.workflow_cascading and "is_cascading" in item:
                item["is_cascading"] = False
            shaped.append(item)
        return shaped


def unrendered_workflows(declared: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """What master gives for `workflows` on a deployments list without `_get_data`:
    the stored dict (workflow name -> definition) marshalled as `List(Nested(Workflow))`
    (flask-restful wraps a dict in a one-element list and looks each `Workflow` key up
    in it), so one item of nulls unless a workflow is named like a key. Source:
    master `storage/resource_models.py` `Deployment.to_response` (`if get_data and
    'workflows' in include`, commit 6afe0642) and `response_fields`."""
    if declared is None:
        return None
    item: dict[str, Any] = {}
    for key in WORKFLOW_KEYS:
        value = declared.get(key)
        if value is None or key in ("parameters", "availability_rules"):
            item[key] = value
        elif key in ("is_cascading", "is_available"):
            item[key] = bool(value)
        else:
            item[key] = str(value)
    return [item]


DEPLOYMENT_FIELDS = DEPLOYMENTS.filters
DEPLOYMENT_INCLUDES = frozenset(DEPLOYMENTS.keys)
EXECUTION_FIELDS = EXECUTIONS.filters
EXECUTION_INCLUDES = frozenset(EXECUTIONS.keys)


def _without(fields: Mapping[str, Field], names: set[str]) -> dict[str, Field]:
    return {name: spec for name, spec in fields.items() if name not in names}


# 7.0.4 `storage/resource_models.py` `Deployment`: the `*_p` pickle columns came with the
# JSON columns, and `latest_execution_id` / `latest_execution_workflow_id` are
# association proxies new since 6.4.2 (both in `resource_fields` and `response_fields`).
_NEW_IN_70 = set(LEGACY_FIELDS) | {"latest_execution_id", "latest_execution_workflow_id"}
# 6.4.2 against 6.2.0: columns `resource_tags`, `drifted_instances`,
# `unavailable_instances`; `response_fields` gained `create_execution` and
# `latest_execution` (ids of relationships: includable, not filterable) and
# `_extra_fields` `workdir_zip`.
_NEW_IN_64_FIELDS = {"resource_tags", "drifted_instances", "unavailable_instances"}
_NEW_IN_64_INCLUDES = _NEW_IN_64_FIELDS | {"create_execution", "latest_execution", "workdir_zip"}
# 6.2.0 and 6.4.2 `response_fields` add `schedules`; 7.0.4 no longer does.
_GONE_IN_70_INCLUDES = {"schedules"}
# 7.0.4 `Execution` has the pickle column `parameters_p`; 6.x does not.
_EXEC_NEW_IN_70 = {"parameters_p"}

_DEP_64 = _without(DEPLOYMENT_FIELDS, _NEW_IN_70)
_DEP_62 = _without(_DEP_64, _NEW_IN_64_FIELDS)
# master: `latest_execution` and `create_execution` became association proxies (so
# filter and sort keys) and `latest_execution_id` is gone (commits 6afe0642, a63b510e).
_DEP_71 = _without(DEPLOYMENT_FIELDS, {"latest_execution_id"}) | {
    "latest_execution": Field("latest_execution"),
    "create_execution": Field("create_execution"),
}
_EXEC_6 = _without(EXECUTION_FIELDS, _EXEC_NEW_IN_70)
_EXEC_6_INCLUDES = frozenset(EXECUTION_INCLUDES - _EXEC_NEW_IN_70)

VERSIONS: dict[str, Emulation] = {
    "6.2": Emulation(
        name="6.2",
        version="6.2.0",
        deployment_fields=_DEP_62,
        deployment_includes=frozenset(
            (DEPLOYMENT_INCLUDES - _NEW_IN_70 - _NEW_IN_64_INCLUDES) | _GONE_IN_70_INCLUDES
        ),
        execution_fields=_EXEC_6,
        execution_includes=_EXEC_6_INCLUDES,
        # 6.2.0 `rest/responses.py` `Workflow`: name, plugin, operation, parameters,
        # is_cascading; `is_available` and `availability_rules` came in 6.4.
        workflow_keys=("name", "plugin", "operation", "parameters", "is_cascading"),
        workflow_cascading=False,
        # 6.2.0 `rest/resources_v3/events.py`: `timestamp=datetime.utcnow()` and
        # `reported_timestamp=datetime.utcnow()`, whatever the sender gave.
        sender_timestamps=False,
    ),
    "6.4": Emulation(
        name="6.4",
        version="6.4.2",
        deployment_fields=_DEP_64,
        deployment_includes=frozenset((DEPLOYMENT_INCLUDES - _NEW_IN_70) | _GONE_IN_70_INCLUDES),
        execution_fields=_EXEC_6,
        execution_includes=_EXEC_6_INCLUDES,
    ),
    "7.0": Emulation(
        name="7.0",
        version="7.0.4",
        deployment_fields=DEPLOYMENT_FIELDS,
        deployment_includes=DEPLOYMENT_INCLUDES,
        execution_fields=EXECUTION_FIELDS,
        execution_includes=EXECUTION_INCLUDES,
    ),
    "7.1": Emulation(
        name="7.1",
        version="7.1.0",
        deployment_fields=_DEP_71,
        deployment_includes=frozenset(DEPLOYMENT_INCLUDES - {"latest_execution_id"}),
        execution_fields=EXECUTION_FIELDS,
        execution_includes=EXECUTION_INCLUDES,
        list_workflows_need_get_data=True,
    ),
}
DEFAULT = "7.0"


def emulation(name: str | None) -> Emulation:
    """The emulated version called `name` (None: the default, 7.0)."""
    return VERSIONS[name or DEFAULT]
