"""Every table of the manager, each declared once (see `columns.py`): the SQL schema,
the JSON a row is shown as, the keys `_include` accepts and the keys that filter and
sort all derive from these declarations.

A key's place in its table is its place in the JSON object (the real manager's order).
Adding a stored column to a table that exists in older data directories also needs a
step in `Store._migrate`: `CREATE TABLE IF NOT EXISTS` leaves an existing table as it is.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from tui.manager.columns import (
    BOOL,
    INT,
    Column,
    Render,
    Row,
    Table,
    alias,
    column,
    constant,
    given,
    loads,
    stored,
)
from tui.manager.nodes import node_of, node_operations, node_relationships


def _visibility() -> tuple[Column, ...]:
    """The keys every resource derives from its visibility."""
    return (
        column("resource_availability", sql="visibility", render=itemgetter("visibility")),
        column(
            "private_resource",
            kind=BOOL,
            sql="(visibility = 'private')",
            render=lambda row: row["visibility"] == "private",
        ),
    )


META = Table("meta", stored("key", "TEXT PRIMARY KEY"), stored("value", "TEXT"))

TENANTS = Table(
    "tenants",
    column("name", "TEXT PRIMARY KEY"),
    constant("groups", 0, filter=False),
    column("users", render=itemgetter("users"), filter=False, sort=False),  # counted by the list
    constant("user_roles", None, filter=False),
    constant("rabbitmq_username", None, filter=False),
    constant("rabbitmq_password", None, filter=False),
    constant("rabbitmq_vhost", None, filter=False),
    stored("created_at", "TEXT"),
)

USERS = Table(
    "users",
    stored("username", "TEXT PRIMARY KEY"),
    stored("password_hash", "TEXT NOT NULL"),
    stored("salt", "TEXT NOT NULL"),
    stored("role", "TEXT NOT NULL"),
    stored("created_at", "TEXT"),
    stored("failed_logins_counter", "INTEGER NOT NULL DEFAULT 0"),
    stored("last_failed_login_at", "TEXT"),
)

USER_TENANTS = Table(
    "user_tenants",
    stored("username", "TEXT NOT NULL"),
    stored("tenant", "TEXT NOT NULL"),
    stored("role", "TEXT NOT NULL"),
    constraints=("PRIMARY KEY (username, tenant)",),
)

# Listed tokens show a masked value and the user's system role; `role` sorts (it is no
# column: the real manager's answer to that is a 500, and so is this one's).
TOKENS = Table(
    "tokens",
    column("id", "TEXT PRIMARY KEY"),
    given("value", filter=False, sort=False),
    column("username", "TEXT NOT NULL"),
    given("role", filter=False),
    column("expiration_date", "TEXT"),
    column("last_used", "TEXT"),
    column("description", "TEXT"),
    stored("secret_hash", "TEXT NOT NULL"),
    stored("created_at", "TEXT"),
)


def _secret_names(value: Any) -> set[str]:
    """The secrets a plan reads with `get_secret` (the blueprint's requirements)."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("get_secret"), str):
            return {value["get_secret"]}
        return set().union(*(_secret_names(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_secret_names(v) for v in value))
    return set()


def _plan_summary(row: Row) -> dict[str, Any]:
    plan = loads(row["plan"], {})
    return {"workflows": plan.get("workflows", {}), "inputs": plan.get("inputs", {})}


def _requirements(row: Row) -> dict[str, Any]:
    plan = loads(row["plan"], {})
    return {"parent_capabilities": [], "secrets": sorted(_secret_names(plan))}


# Blueprints are read-only (seeds and `--blueprints`); `upload_execution` is the
# execution that stored the blueprint, found by the caller.
BLUEPRINTS = Table(
    "blueprints",
    column("id", "TEXT NOT NULL"),
    column("description", "TEXT"),
    column("main_file_name", "TEXT"),
    column("created_at", "TEXT"),
    column("updated_at", "TEXT"),
    column("created_by", "TEXT"),
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("visibility", "TEXT"),
    *_visibility(),
    constant("is_hidden", False),
    constant("state", "uploaded"),
    constant("error", None),
    constant("error_traceback", None),
    constant("labels", [], filter=False),
    constant("plan_p", None),
    column("plan", "TEXT NOT NULL", render=_plan_summary),
    column("requirements", sql="NULL", render=_requirements),
    given("upload_execution", filter=False, sort=False),
    constraints=("PRIMARY KEY (tenant, id)",),
)

# Legacy pickle columns of a deployment: always present, always null on modern data.
LEGACY_FIELDS = (
    "inputs_p",
    "outputs_p",
    "groups_p",
    "scaling_groups_p",
    "policy_types_p",
    "policy_triggers_p",
    "capabilities_p",
    "workflows_p",
)

# The real `models.Deployment`: its `resource_fields` filter and sort, its
# `response_fields` are the keys. Rows are read from `deployments_v`, which adds the
# latest execution's columns. The relationship keys (`latest_execution`,
# `create_execution`) can be included but neither filtered nor sorted on, and
# `deployment_group_id` the other way round. `workflows` is given: it is rendered
# with the deployment's node instance states.
DEPLOYMENTS = Table(
    "deployments",
    stored("pk", "INTEGER PRIMARY KEY"),
    column("id", "TEXT NOT NULL"),
    column("display_name", "TEXT"),
    column("blueprint_id", "TEXT"),
    column("description", "TEXT"),
    column("created_at", "TEXT"),
    column("updated_at", "TEXT"),
    column("created_by", "TEXT"),
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("visibility", "TEXT"),
    *_visibility(),
    column("site_name", "TEXT"),
    column("inputs", "TEXT", json=dict),
    column("outputs", "TEXT", json=dict),
    column("capabilities", "TEXT", json=dict),
    column("groups", "TEXT", name="groups_", json=dict),
    column("scaling_groups", "TEXT", json=dict),
    column("policy_types", "TEXT", json=dict),
    column("policy_triggers", "TEXT", json=dict),
    column("resource_tags", "TEXT", json=dict),
    column("runtime_only_evaluation", "INTEGER", BOOL),
    constant("permalink", None),
    given("workflows", "TEXT"),
    given("labels", filter=False, sort=False),  # from `deployments_labels`
    given("deployment_groups", filter=False, sort=False),  # see deployment_groups.py
    column(
        "installation_status",
        "TEXT",
        render=lambda row: row["installation_status"] or "inactive",
    ),
    column("deployment_status", "TEXT"),
    column("latest_execution", "TEXT", filter=False, sort=False),
    column("latest_execution_status"),
    column("latest_execution_workflow_id"),
    column("latest_execution_total_operations", kind=INT),
    column("latest_execution_finished_operations", kind=INT),
    column("create_execution", "TEXT", filter=False, sort=False),
    constant("sub_services_count", 0),
    constant("sub_environments_count", 0),
    constant("sub_services_status", None),
    constant("sub_environments_status", None),
    constant("has_sub_deployments", False),
    given(  # the value of its `csys-env-type` label, or ""
        "environment_type",
        sql="COALESCE((SELECT value FROM deployments_labels WHERE deployment_pk = pk "
        "AND key = 'csys-env-type' LIMIT 1), '')",
    ),
    constant("drifted_instances", 0),
    constant("unavailable_instances", 0),
    column("latest_execution_id", name="latest_execution"),
    constant("workdir_zip", None, filter=False),
    constant("schedules", [], filter=False, shown=False),  # a key of 6.x only (versions.py)
    *(constant(legacy, None) for legacy in LEGACY_FIELDS),
    # Its deployment groups (`deployment_group_members`): a filter by it means
    # membership (see routes/searches.py); it sorts by the first group's id.
    column(
        "deployment_group_id",
        sql="(SELECT MIN(g.id) FROM deployment_group_members m JOIN deployment_groups g "
        "ON g.pk = m.group_pk WHERE m.deployment_pk = deployments_v.pk)",
        render=lambda row: None,
        shown=False,
    ),
    stored("nodes", "TEXT"),
    constraints=("UNIQUE (tenant, id)",),
)

# A deployment's labels (see labels.py): one row per label, found by key and value
# through `deployments_labels_by_key` when rules filter deployments by them.
DEPLOYMENTS_LABELS = Table(
    "deployments_labels",
    stored("deployment_pk", "INTEGER NOT NULL"),
    stored("key", "TEXT NOT NULL"),
    stored("value", "TEXT NOT NULL"),
    stored("created_at", "TEXT"),
    stored("created_by", "TEXT"),
    constraints=("UNIQUE (deployment_pk, key, value)",),
)


def _rules_of(kind: str) -> Render:
    return lambda row: [rule for rule in loads(row["value"], []) if rule["type"] == kind]


# A saved deployments filter (`/filters/deployments`, see filters.py): its rules as
# JSON in `value`, shown again split by type. A system filter is global and can be
# neither changed nor deleted.
DEPLOYMENTS_FILTERS = Table(
    "deployments_filters",
    column("created_at", "TEXT"),
    column("id", "TEXT NOT NULL"),
    column("visibility", "TEXT NOT NULL"),
    column("value", "TEXT", json=list),
    column("updated_at", "TEXT"),
    column("is_system_filter", "INTEGER NOT NULL DEFAULT 0", BOOL),
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("created_by", "TEXT"),
    *_visibility(),
    column("labels_filter_rules", sql="NULL", render=_rules_of("label"), sort=False),
    column("attrs_filter_rules", sql="NULL", render=_rules_of("attribute"), sort=False),
    constraints=("PRIMARY KEY (tenant, id)",),
)

# A node instance (the real `models.NodeInstance`), read from `node_instances_v`, which
# adds its deployment's id, tenant, creator and visibility. `idx` counts from 0 (the
# instance ids are made from it); the real `index` counts from 1.
NODE_INSTANCES = Table(
    "node_instances",
    stored("deployment_pk", "INTEGER NOT NULL"),
    column("id", "TEXT NOT NULL"),
    column("visibility"),
    column("host_id", "TEXT"),
    column("index", kind=INT, sql="(idx + 1)", render=lambda row: row["idx"] + 1),
    constant("relationships_p", None),
    column("relationships", "TEXT", json=list),
    constant("runtime_properties_p", None),
    column("runtime_properties", "TEXT", json=dict),
    column("system_properties", "TEXT", json=lambda: None),
    constant("scaling_groups_p", None),
    constant("scaling_groups", []),
    column("state", "TEXT NOT NULL"),
    column("version", "INTEGER NOT NULL DEFAULT 1", INT),
    constant("has_configuration_drift", False),
    constant("is_status_check_ok", False),
    column("node_id", "TEXT NOT NULL"),
    column("deployment_id"),
    column("tenant_name", name="tenant"),
    column("created_by"),
    *_visibility(),
    stored("idx", "INTEGER NOT NULL"),
    constraints=("PRIMARY KEY (deployment_pk, id)",),
)

# A node (the real `models.Node`), read from `nodes_v`: one row per node of a
# deployment's stored plan (`node` is that node's JSON), with its instances counted.
# Filters and sorts stop at `private_resource`; `actual_planned_number_of_instances`
# can only be included (the real one is 0 without scaling groups). No status check
# runs here, so no instance's `is_status_check_ok` is true, and the real manager counts
# every such instance as unavailable.
NODES = Table(
    "nodes_v",
    column("id"),
    column("visibility"),
    column("deploy_number_of_instances", kind=INT),
    column("host_id"),
    constant("max_number_of_instances", -1),
    constant("min_number_of_instances", 0),
    column(
        "number_of_instances",
        kind=INT,
        sql="actual_number_of_instances",
        render=itemgetter("actual_number_of_instances"),
    ),
    column(
        "planned_number_of_instances",
        kind=INT,
        sql="actual_number_of_instances",
        render=itemgetter("actual_number_of_instances"),
    ),
    constant("plugins_p", None),
    column("plugins", sql="node", render=lambda row: node_of(row).get("plugins", [])),
    constant("plugins_to_install_p", None),
    constant("plugins_to_install", None),
    constant("properties_p", None),
    column("properties", sql="node", render=lambda row: node_of(row)["properties"]),
    constant("relationships_p", None),
    column("relationships", sql="node", render=lambda row: node_relationships(node_of(row))),
    constant("operations_p", None),
    column("operations", sql="node", render=lambda row: node_operations(node_of(row))),
    column("type"),
    constant("type_hierarchy_p", None),
    column("type_hierarchy", sql="node", render=lambda row: node_of(row)["type_hierarchy"]),
    constant("drifted_instances", 0),
    # instances whose last status check did not pass: here, every one (see above)
    column(
        "unavailable_instances",
        kind=INT,
        sql="actual_number_of_instances",
        render=itemgetter("actual_number_of_instances"),
    ),
    column("actual_number_of_instances", kind=INT),
    column("deployment_id"),
    column("blueprint_id"),
    column("deployment_display_name"),
    column("tenant_name", name="tenant"),
    column("created_by"),
    *_visibility(),
    constant("actual_planned_number_of_instances", 0, filter=False),
)


def _operations(column_name: str) -> Render:
    """A count of operations: 0 until the engine counts them."""
    return lambda row: row[column_name] or 0


EXECUTIONS = Table(
    "executions",
    column("id", "TEXT PRIMARY KEY"),
    column("workflow_id", "TEXT"),
    column("deployment_id", "TEXT"),
    column("deployment_display_name", "TEXT"),
    column("blueprint_id", "TEXT"),
    column("status", "TEXT NOT NULL"),
    column(
        "status_display",
        sql="(CASE status WHEN 'terminated' THEN 'completed' ELSE status END)",
        render=lambda row: "completed" if row["status"] == "terminated" else row["status"],
    ),
    column("error", "TEXT"),
    column("parameters", "TEXT", json=dict),
    column("allow_custom_parameters", "INTEGER", BOOL),
    column("is_dry_run", "INTEGER", BOOL),
    column("is_system_workflow", "INTEGER", BOOL),
    column("created_at", "TEXT"),
    column("started_at", "TEXT"),
    column("ended_at", "TEXT"),
    column("scheduled_for", "TEXT"),
    column("created_by", "TEXT"),
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("visibility", "TEXT"),
    *_visibility(),
    column("resume", "INTEGER", BOOL),
    column("total_operations", "INTEGER", INT, render=_operations("total_operations")),
    column("finished_operations", "INTEGER", INT, render=_operations("finished_operations")),
    constant("parameters_p", None),
    # Its execution group (`execution_group_members`): it filters and sorts (as does
    # `_group_id`), but is never shown, as on the real manager.
    column(
        "execution_group_id",
        sql="(SELECT g.id FROM execution_group_members m JOIN execution_groups g "
        "ON g.pk = m.group_pk WHERE m.execution_id = executions.id)",
        render=lambda row: None,
        shown=False,
    ),
    stored("wait_after_fail", "INTEGER"),
)


# A deployment group (the real `models.DeploymentGroup`): its members are rows of
# `deployment_group_members`, its labels rows of `deployment_groups_labels`; both are
# given by the caller (see deployment_groups.py). Filters and sorts stop at
# `private_resource`, as the real ones do.
DEPLOYMENT_GROUPS = Table(
    "deployment_groups",
    stored("pk", "INTEGER PRIMARY KEY"),
    column("created_at", "TEXT"),
    column("id", "TEXT NOT NULL"),
    column("visibility", "TEXT NOT NULL"),
    column("description", "TEXT"),
    column("default_inputs", "TEXT", json=lambda: None),
    column("creation_counter", "INTEGER NOT NULL DEFAULT 0", INT),
    column("default_blueprint_id", "TEXT"),
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("created_by", "TEXT"),
    *_visibility(),
    given("deployment_ids", filter=False, sort=False),
    given("labels", filter=False, sort=False),
    constraints=("UNIQUE (tenant, id)",),
)

DEPLOYMENT_GROUP_MEMBERS = Table(
    "deployment_group_members",
    stored("group_pk", "INTEGER NOT NULL"),
    stored("deployment_pk", "INTEGER NOT NULL"),
    constraints=("PRIMARY KEY (group_pk, deployment_pk)",),
)

DEPLOYMENT_GROUPS_LABELS = Table(
    "deployment_groups_labels",
    stored("group_pk", "INTEGER NOT NULL"),
    stored("key", "TEXT NOT NULL"),
    stored("value", "TEXT NOT NULL"),
    stored("created_at", "TEXT"),
    stored("created_by", "TEXT"),
    constraints=("UNIQUE (group_pk, key, value)",),
)

# An execution group (the real `models.ExecutionGroup`): `execution_ids` and `status`
# (computed from the members, see execution_groups.py) are given, and shown only where
# the real manager renders "data" (a single group, a new one, `_get_data` lists).
EXECUTION_GROUPS = Table(
    "execution_groups",
    stored("pk", "INTEGER PRIMARY KEY"),
    column("created_at", "TEXT"),
    column("id", "TEXT NOT NULL"),
    column("visibility", "TEXT NOT NULL"),
    column("workflow_id", "TEXT NOT NULL"),
    column("concurrency", "INTEGER NOT NULL", INT),
    column("deployment_group_id", "TEXT"),
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("created_by", "TEXT"),
    *_visibility(),
    given("execution_ids", filter=False, sort=False),
    given("status", filter=False, sort=False),
    constraints=("UNIQUE (tenant, id)",),
)

# The executions of a group, in the order they were made; an execution is in one group.
EXECUTION_GROUP_MEMBERS = Table(
    "execution_group_members",
    stored("group_pk", "INTEGER NOT NULL"),
    stored("execution_id", "TEXT NOT NULL PRIMARY KEY"),
)


def _is_log(row: Row) -> bool:
    return bool(row["type"] == "cloudify_log")


def _is_event(row: Row) -> bool:
    return not _is_log(row)


# An event or a log (`type`): logs have a level and a logger, events an event type.
# `/events` filters and sorts by its own keys, which are not all the object's.
EVENTS = Table(
    "events",
    column(
        "_storage_id", "INTEGER PRIMARY KEY AUTOINCREMENT", INT, name="storage_id", filter=False
    ),
    stored("tenant", "TEXT NOT NULL"),
    column("timestamp", "TEXT", filter=False),
    column("reported_timestamp", "TEXT", filter=False),
    column("blueprint_id", "TEXT"),
    column("deployment_id", "TEXT"),
    column("deployment_display_name", "TEXT", filter=False, sort=False),
    column("workflow_id", "TEXT", filter=False),
    column("execution_id", "TEXT"),
    # set on the logs and events of an execution group itself, not on its members'
    # (the real `/events` joins it from the event's own group); the column is added to
    # older data directories by `Store._migrate`, which also indexes it
    column("execution_group_id", "TEXT", sort=False),
    column("message", "TEXT"),
    column("error_causes", "TEXT", json=lambda: None, filter=False, sort=False),
    column("operation", "TEXT"),
    column("node_instance_id", "TEXT"),
    column("node_name", "TEXT", filter=False),
    alias("node_id", "node_name"),
    column("source_id", "TEXT", filter=False, sort=False),
    column("target_id", "TEXT", filter=False, sort=False),
    column("type", "TEXT NOT NULL", filter=False),
    column("manager_name", "TEXT", filter=False, sort=False),
    column("agent_name", "TEXT", filter=False, sort=False),
    column("level", "TEXT", when=_is_log),
    column("logger", "TEXT", filter=False, when=_is_log),
    column("event_type", "TEXT", when=_is_event),
)

# `value` is what GET shows (JSON text when there is a schema); `value_token` and
# `options_token` stand where the real manager shows ciphertext (see secrets.py), and
# are what the real manager's filters on `value` and `provider_options` compare.
# A key is unique in its tenant (a global key across tenants: see secrets.py).
SECRETS = Table(
    "secrets",
    column("created_at", "TEXT NOT NULL"),
    column("visibility", "TEXT NOT NULL"),
    given("value", "TEXT NOT NULL", sql="value_token"),
    column("updated_at", "TEXT NOT NULL"),
    column("is_hidden_value", "INTEGER NOT NULL", BOOL),
    column("schema", "TEXT", json=lambda: None),
    given("provider_options", "TEXT", sql="options_token"),
    column("key", "TEXT NOT NULL"),
    constant("provider_name", None),  # no secrets providers here
    column("tenant_name", "TEXT NOT NULL", name="tenant"),
    column("created_by", "TEXT NOT NULL"),
    *_visibility(),
    stored("value_token", "TEXT NOT NULL"),
    stored("options_token", "TEXT"),
    constraints=("PRIMARY KEY (tenant, key)",),
)

# Parameters of an execution whose value was computed from a secret: the engine
# masks them in the log it writes.
SECRET_PARAMETERS = Table(
    "secret_parameters",
    stored("execution_id", "TEXT NOT NULL"),
    stored("name", "TEXT NOT NULL"),
    constraints=("PRIMARY KEY (execution_id, name)",),
)

INDEXES = """
CREATE INDEX IF NOT EXISTS deployments_by_created ON deployments (tenant, created_at, pk);
-- Covers counts, searches by id and pages sorted by id, and the join to the latest
-- execution, without reading the (large) deployment rows.
CREATE INDEX IF NOT EXISTS deployments_by_id ON deployments (tenant, id, latest_execution);
CREATE INDEX IF NOT EXISTS executions_by_deployment
    ON executions (tenant, deployment_id, created_at);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (tenant, status, created_at);
-- Across tenants: what runs or waits anywhere (the queue, a running system workflow
-- that queues every start) is found without reading every execution.
CREATE INDEX IF NOT EXISTS executions_by_state ON executions (status, created_at);
CREATE INDEX IF NOT EXISTS executions_by_created ON executions (tenant, created_at);
CREATE INDEX IF NOT EXISTS events_by_execution
    ON events (execution_id, reported_timestamp, storage_id);
CREATE INDEX IF NOT EXISTS events_by_deployment ON events (tenant, deployment_id);
-- One execution's events, as `/events` lists them (tenant first, in list order).
CREATE INDEX IF NOT EXISTS events_by_tenant_execution
    ON events (tenant, execution_id, reported_timestamp, timestamp, storage_id);
CREATE INDEX IF NOT EXISTS secrets_by_key ON secrets (key);
-- Label rules: the deployments with a key (and value), without reading any deployment.
CREATE INDEX IF NOT EXISTS deployments_labels_by_key
    ON deployments_labels (key, value, deployment_pk);
CREATE INDEX IF NOT EXISTS deployments_filters_by_id ON deployments_filters (id);
-- A deployment's groups, and a group's executions in order (the queue counts the
-- running members of each group through it).
CREATE INDEX IF NOT EXISTS deployment_group_members_by_deployment
    ON deployment_group_members (deployment_pk, group_pk);
CREATE INDEX IF NOT EXISTS execution_group_members_by_group
    ON execution_group_members (group_pk, execution_id);
"""

# A deployment with its latest execution's columns, as the deployment shows them.
VIEWS = """
CREATE VIEW IF NOT EXISTS deployments_v AS
    SELECT d.*,
        e.workflow_id AS latest_execution_workflow_id,
        COALESCE(e.total_operations, 0) AS latest_execution_total_operations,
        COALESCE(e.finished_operations, 0) AS latest_execution_finished_operations,
        CASE
            WHEN e.status IS NULL OR e.status = 'scheduled' THEN NULL
            WHEN e.status = 'terminated' THEN 'completed'
            WHEN e.status IN ('failed', 'cancelled') THEN e.status
            ELSE 'in_progress'
        END AS latest_execution_status
    FROM deployments d LEFT JOIN executions e ON e.id = d.latest_execution;
CREATE VIEW IF NOT EXISTS node_instances_v AS
    SELECT n.rowid AS storage_id, n.*, d.id AS deployment_id, d.tenant AS tenant,
        d.created_by AS created_by, d.visibility AS visibility
    FROM node_instances n JOIN deployments d ON d.pk = n.deployment_pk;
-- The counts are correlated subqueries: SQLite runs them only for the rows it reads.
CREATE VIEW IF NOT EXISTS nodes_v AS
    SELECT d.pk AS deployment_pk, d.created_at AS deployment_created_at,
        CAST(j.key AS INTEGER) AS position, j.value AS node,
        json_extract(j.value, '$.id') AS id, json_extract(j.value, '$.type') AS type,
        json_extract(j.value, '$.instances') AS deploy_number_of_instances,
        json_extract(j.value, '$.host_id') AS host_id,
        d.id AS deployment_id, d.blueprint_id AS blueprint_id,
        d.display_name AS deployment_display_name, d.tenant AS tenant,
        d.created_by AS created_by, d.visibility AS visibility,
        (SELECT COUNT(*) FROM node_instances n WHERE n.deployment_pk = d.pk
            AND n.node_id = json_extract(j.value, '$.id')) AS actual_number_of_instances
    FROM deployments d, json_each(d.nodes) j;
"""

TABLES = (
    META,
    TENANTS,
    USERS,
    USER_TENANTS,
    TOKENS,
    BLUEPRINTS,
    DEPLOYMENTS,
    DEPLOYMENTS_LABELS,
    DEPLOYMENTS_FILTERS,
    DEPLOYMENT_GROUPS,
    DEPLOYMENT_GROUP_MEMBERS,
    DEPLOYMENT_GROUPS_LABELS,
    EXECUTION_GROUPS,
    EXECUTION_GROUP_MEMBERS,
    NODE_INSTANCES,
    EXECUTIONS,
    EVENTS,
    SECRETS,
    SECRET_PARAMETERS,
)
SCHEMA = "\n".join(table.schema() for table in TABLES) + INDEXES + VIEWS
