"""Tenants, users, blueprints and seeded data: the demo seed and the scale seed.

Seeded history is produced by the real engine replaying each workflow against a
virtual clock, so seeded executions, events and node states look exactly like
live ones.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from tui.manager.auth import DEFAULT_TENANT, SECOND_TENANT, Identity, add_membership, set_user
from tui.manager.blueprints import parse_blueprint
from tui.manager.clock import FrozenClock, format_timestamp
from tui.manager.columns import dumps, loads
from tui.manager.deployments import insert_deployment, insert_instances, recompute_status
from tui.manager.engine import Engine
from tui.manager.events import event_row, insert_events
from tui.manager.executions import execution_row, insert_execution
from tui.manager.filters import create_filter, ensure_system_filters
from tui.manager.nodes import all_instances, new_instances
from tui.manager.services import Services

DEMO_BLUEPRINTS = ("webapp", "database", "analytics")
TENANTS = (DEFAULT_TENANT, SECOND_TENANT)
DAY = 86400.0


def init_identity(services: Services, passwords: dict[str, str]) -> None:
    """Tenants, the three users and the system filters; passwords are (re)set on every
    start."""
    store = services.store
    with store.tx():
        for tenant in TENANTS:
            store.execute(
                "INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)",
                (tenant, services.clock.stamp()),
            )
        set_user(store, services.clock, "admin", passwords["admin"], "sys_admin")
        set_user(store, services.clock, "viewer", passwords["viewer"], "default")
        set_user(store, services.clock, "operator", passwords["operator"], "default")
        for tenant in TENANTS:
            add_membership(store, "viewer", tenant, "viewer")
        add_membership(store, "operator", DEFAULT_TENANT, "user")
    ensure_system_filters(services)


def demo_blueprint_text(name: str) -> str:
    return resources.files("tui.manager").joinpath("demo", f"{name}.yaml").read_text("utf-8")


def store_blueprint(
    services: Services,
    tenant: str,
    bp_id: str,
    text: str,
    stamp: str | None = None,
    *,
    replace_existing: bool = True,
) -> dict[str, Any]:
    """Store a blueprint as an upload would leave it, with its `upload_blueprint`
    execution (terminated, no deployment), which the real manager lists among the
    executions and shows as the blueprint's `upload_execution`. Storing the same
    text again changes nothing."""
    plan = parse_blueprint(text)
    stamp = stamp or services.clock.stamp()
    old = services.store.one(
        "SELECT plan FROM blueprints WHERE tenant = ? AND id = ?", (tenant, bp_id)
    )
    if old is not None and (not replace_existing or old["plan"] == dumps(plan)):
        return loads(old["plan"])
    services.store.insert(
        "blueprints",
        {
            "tenant": tenant,
            "id": bp_id,
            "plan": dumps(plan),
            "description": plan.get("description"),
            "main_file_name": "blueprint.yaml",
            "created_at": stamp,
            "updated_at": stamp,
            "created_by": "admin",
            "visibility": "tenant",
        },
        replace=True,
    )
    exec_id = insert_execution(
        services,
        tenant=tenant,
        deployment=None,
        workflow_id="upload_blueprint",
        status="terminated",
        parameters={
            "blueprint_id": bp_id,
            "app_file_name": "blueprint.yaml",
            "url": None,
            "file_server_root": "/opt/manager/resources",
            "marketplace_api_url": "https://marketplace.cloudify.co",
            "validate_only": False,
            "labels": [],
        },
        allow_custom_parameters=True,
        created_by="admin",
        stamp=stamp,
    )
    services.store.execute(
        "UPDATE executions SET started_at = ?, ended_at = ?, error = '' WHERE id = ?",
        (stamp, stamp, exec_id),
    )
    return plan


def ensure_demo_blueprints(services: Services) -> None:
    """The demo blueprints exist in every tenant, whatever the seed, so that
    deployments can be created on any manager (there is no blueprint upload)."""
    stamp = format_timestamp(services.clock.now() - 40 * DAY)
    with services.store.tx():
        for tenant in TENANTS:
            for name in DEMO_BLUEPRINTS:
                store_blueprint(
                    services,
                    tenant,
                    name,
                    demo_blueprint_text(name),
                    stamp,
                    replace_existing=False,
                )


def load_blueprint_dir(services: Services, directory: Path) -> list[str]:
    """Load every `*.yaml` in `directory` as a blueprint (id = file stem) in every tenant."""
    loaded = []
    with services.store.tx():
        for path in sorted(directory.glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            for tenant in TENANTS:
                store_blueprint(services, tenant, path.stem, text)
            loaded.append(path.stem)
    return loaded


class _Replayer(Engine):
    """The engine on a virtual clock, running one execution to its end at a time:
    it starts nothing by itself, so an execution the queue lets go stays `pending`.
    `failure` (node, operation, message) makes that operation fail in the next run,
    for history that no blueprint's simulation section describes."""

    failure: tuple[str, str, str] | None = None

    def launch(self, exec_id: str, resume: bool = False) -> None:
        pass

    def _plan(self, row: Any, dep: Any, params: dict[str, Any]) -> Any:
        plan = super()._plan(row, dep, params)
        if self.failure is not None:
            node, operation, message = self.failure
            self.failure = None
            for op in plan.ops:
                if op.node == node and op.operation == operation:
                    op.fail = message
                    break
        return plan


class HistoryReplay:
    """Runs workflows to their end on a virtual clock, writing what they would have."""

    def __init__(self, services: Services, start: float) -> None:
        self.clock = FrozenClock(start)
        self.services = replace(services, clock=self.clock, speed=1.0)

        async def virtual_sleep(seconds: float) -> None:
            self.clock.advance(seconds)

        self.engine = _Replayer(self.services, sleep=virtual_sleep)

    def at(self, when: float) -> None:
        self.clock._now = max(self.clock.now(), when)

    def deployment(self, tenant: str, dep_id: str, blueprint: str, **kw: Any) -> None:
        services = self.services
        plan = loads(
            services.store.one(
                "SELECT plan FROM blueprints WHERE tenant = ? AND id = ?", (tenant, blueprint)
            )["plan"]
        )
        with services.store.tx():
            pk = insert_deployment(
                services, tenant, dep_id, blueprint, plan, created_by="admin", **kw
            )
        self.run(tenant, dep_id, "create_deployment_environment", {}, record_create=pk)

    def run(
        self,
        tenant: str,
        dep_id: str,
        workflow: str,
        parameters: dict[str, Any],
        *,
        user: str = "admin",
        record_create: int | None = None,
        failure: tuple[str, str, str] | None = None,
    ) -> str:
        services = self.services
        self.engine.failure = failure
        dep = services.store.one(
            "SELECT * FROM deployments WHERE tenant = ? AND id = ?", (tenant, dep_id)
        )
        declared = loads(dep["workflows"], {}).get(workflow, {}).get("parameters", {})
        merged = {k: v["default"] for k, v in declared.items() if "default" in v}
        merged.update(parameters)
        with services.store.tx():
            exec_id = insert_execution(
                services,
                tenant=tenant,
                deployment=dep,
                workflow_id=workflow,
                status="pending",
                parameters=merged,
                created_by=user,
            )
            if record_create is not None:
                services.store.execute(
                    "UPDATE deployments SET create_execution = ? WHERE pk = ?",
                    (exec_id, record_create),
                )
        asyncio.run(self.engine.run(exec_id))
        self.clock.advance(5)
        return exec_id


def _labels(env: str, region: str, team: str) -> list[dict[str, Any]]:
    """The labels every seeded deployment has."""
    return [{"env": env}, {"region": region}, {"team": team}]


def _saved_filter(services: Services, tenant: str) -> None:
    """The demo's saved filter: production deployments in the EU."""
    create_filter(
        services,
        tenant,
        Identity("admin", "sys_admin"),
        "prod-eu",
        {
            "filter_rules": [
                {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"},
                {
                    "key": "region",
                    "values": ["eu-west", "eu-central"],
                    "operator": "any_of",
                    "type": "label",
                },
            ],
            "visibility": "tenant",
        },
    )


def seed_demo(services: Services) -> None:
    """At least 6 deployments over 3 blueprints and 2 tenants, with some history."""
    now = services.clock.now()
    with services.store.tx():
        for tenant in TENANTS:
            for name in DEMO_BLUEPRINTS:
                store_blueprint(
                    services,
                    tenant,
                    name,
                    demo_blueprint_text(name),
                    format_timestamp(now - 4 * DAY),
                )
    replay = HistoryReplay(services, now - 3 * DAY)
    default, eu = TENANTS
    replay.deployment(
        default,
        "web-prod",
        "webapp",
        display_name="Web shop (production)",
        labels=_labels("prod", "eu-west", "web"),
        site_name="eu-west",
    )
    replay.run(default, "web-prod", "install", {})
    replay.deployment(
        default,
        "web-staging",
        "webapp",
        display_name="Web shop (staging)",
        labels=_labels("staging", "eu-west", "web"),
    )
    replay.run(default, "web-staging", "install", {})
    replay.deployment(
        default,
        "db-main",
        "database",
        display_name="Main database",
        labels=_labels("prod", "eu-west", "data"),
    )
    replay.run(default, "db-main", "install", {})
    replay.deployment(
        default,
        "db-replica",
        "database",
        display_name="Read replica",
        labels=_labels("prod", "eu-central", "data"),
    )
    replay.deployment(
        default,
        "analytics",
        "analytics",
        display_name="Analytics workers",
        labels=_labels("dev", "us-east", "analytics"),
    )
    replay.run(default, "analytics", "install", {})
    replay.at(now - 2 * DAY)
    replay.deployment(
        eu,
        "web-eu",
        "webapp",
        display_name="Web shop (EU region)",
        labels=_labels("prod", "eu-central", "web"),
    )
    replay.run(eu, "web-eu", "install", {}, user="admin")
    replay.deployment(
        eu,
        "db-eu",
        "database",
        display_name="EU database",
        labels=_labels("prod", "eu-central", "data"),
    )
    replay.at(now - 1 * DAY)
    replay.run(default, "web-prod", "rolling_restart", {"batch_size": 2})
    replay.run(default, "db-main", "backup", {"destination": "s3://backups/nightly"})
    replay.run(default, "web-staging", "check_status", {})
    _half_installed(replay, default)
    _saved_filter(replay.services, default)
    services.store.set_meta("seed", "demo")


SCALE_ENVS = ("prod", "prod", "staging", "staging", "dev")
SCALE_REGIONS = ("eu-west", "eu-central", "us-east", "ap-south")
SCALE_TEAMS = ("web", "data", "platform", "analytics", "payments")


def scale_labels(i: int) -> list[tuple[str, str]]:
    """The labels of the scale seed's deployment `i`: env (2 in 5 prod, 2 in 5 staging,
    1 in 5 dev), region (4) and team (5), in patterns that do not follow one another or
    the blueprint, so that rules combining them select fleets of different sizes."""
    return [
        ("env", SCALE_ENVS[i % 5]),
        ("region", SCALE_REGIONS[(i // 5) % 4]),
        ("team", SCALE_TEAMS[(i // 20) % 5]),
    ]


def _half_installed(replay: HistoryReplay, tenant: str) -> None:
    """The newest deployment: its install failed while creating the application, so
    the machine and nginx are `started` and the application is left `creating`, ready
    to be resumed or healed. It is created last, so it comes last in the lists."""
    replay.deployment(
        tenant,
        "web-canary",
        "webapp",
        display_name="Web shop (canary)",
        labels=_labels("canary", "eu-west", "web"),
    )
    replay.run(
        tenant,
        "web-canary",
        "install",
        {},
        failure=(
            "app",
            "cloudify.interfaces.lifecycle.create",
            "Could not fetch the application artifact: HTTP 503 from artifacts.example.com",
        ),
    )


def seed_scale(services: Services, count: int) -> None:
    """`count` labelled deployments with ten executions each, in bulk (no engine)."""
    rng = random.Random(1234)
    now = services.clock.now()
    store = services.store
    tenant = DEFAULT_TENANT
    with store.tx():
        plans = {
            name: store_blueprint(
                services, tenant, name, demo_blueprint_text(name), format_timestamp(now - 40 * DAY)
            )
            for name in DEMO_BLUEPRINTS
        }
    workflows_cycle = [
        "install",
        "rolling_restart",
        "check_status",
        "restart",
        "backup",
        "reindex",
        "heal",
        "scale",
        "execute_operation",
        "check_drift",
    ]
    outcome = ["terminated"] * 7 + ["failed", "cancelled", "terminated"]
    with store.tx():
        # Secondary indexes of the bulk tables are dropped and rebuilt in one pass at the
        # end: much faster than updating them row by row (same indexes, same data).
        indexes = store.all(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('executions', 'events')"
        )
        for index in indexes:
            store.execute(f'DROP INDEX "{index["name"]}"')
        # Deployments first. Those of one blueprint differ only in id, name and times:
        # the first one is made by insert_deployment, the others are copies of its row
        # made by SQLite, which saves encoding the plan's JSON for every deployment.
        columns = [r["name"] for r in store.all("PRAGMA table_info(deployments)")]
        own = ("pk", "tenant", "id", "display_name", "created_at", "updated_at")
        shared = ", ".join(c for c in columns if c not in own)
        copy_sql = (
            f"INSERT INTO deployments ({', '.join(own[1:])}, {shared}) "
            f"SELECT ?, ?, ?, ?, ?, {shared} FROM deployments WHERE pk = ?"
        )
        templates: dict[str, int] = {}
        created_deployments = []
        for i in range(count):
            blueprint = DEMO_BLUEPRINTS[i % len(DEMO_BLUEPRINTS)]
            plan = plans[blueprint]
            dep_id = f"dep-{i:05d}"
            created = now - 30 * DAY + i * (25 * DAY / max(count, 1))
            stamp = format_timestamp(created)
            template = templates.get(blueprint)
            if template is None:
                pk = insert_deployment(
                    services,
                    tenant,
                    dep_id,
                    blueprint,
                    plan,
                    created_by="admin",
                    display_name=f"{blueprint} #{i}",
                    stamp=stamp,
                )
                templates[blueprint] = pk
            else:
                cursor = store.execute(
                    copy_sql, (tenant, dep_id, f"{blueprint} #{i}", stamp, stamp, template)
                )
                pk = cursor.lastrowid
                key = f"{tenant}/{dep_id}"
                rows = new_instances(key, plan["nodes"], all_instances(plan["nodes"]))
                insert_instances(store, pk, rows)
            created_deployments.append((pk, dep_id, blueprint, created))
        store.executemany(
            "INSERT INTO deployments_labels (deployment_pk, key, value, created_at, created_by) "
            "VALUES (?, ?, ?, ?, 'admin')",
            [
                (pk, key, value, format_timestamp(created))
                for i, (pk, _, _, created) in enumerate(created_deployments)
                for key, value in scale_labels(i)
            ],
        )
        for i, (pk, dep_id, blueprint, created) in enumerate(created_deployments):
            dep = store.one("SELECT display_name FROM deployments WHERE pk = ?", (pk,))
            deployment = {
                "id": dep_id,
                "display_name": dep["display_name"],
                "blueprint_id": blueprint,
            }
            exec_rows = []
            event_rows = []
            t = created
            last_id = None
            for n in range(10):
                wf = (
                    "create_deployment_environment"
                    if n == 0
                    else (workflows_cycle[(n - 1 + i) % len(workflows_cycle)])
                )
                status = "terminated" if n < 2 else outcome[rng.randrange(len(outcome))]
                exec_id = services.new_id()
                start = t + 1
                end = start + rng.uniform(5, 300)
                total = 0 if n == 0 else 6
                finished = total if status == "terminated" else rng.randrange(total + 1)
                error = ""
                if status == "failed":
                    error = (
                        "Traceback (most recent call last):\n  ...\n"
                        "cloudify.exceptions.NonRecoverableError: simulated failure"
                    )
                row = execution_row(
                    services,
                    tenant=tenant,
                    deployment=deployment,
                    workflow_id=wf,
                    status=status,
                    parameters={},
                    created_by="admin",
                    exec_id=exec_id,
                    stamp=format_timestamp(t),
                )
                row.update(
                    error=error,
                    started_at=format_timestamp(start),
                    ended_at=format_timestamp(end),
                    total_operations=total,
                    finished_operations=finished,
                )
                exec_rows.append(row)
                last_id = exec_id
                t = end + rng.uniform(3600, 86400)
                if n == 9:
                    for k in range(10):
                        stamp = format_timestamp(start + k)
                        if k == 0:
                            event_rows.append(
                                event_row(
                                    row,
                                    stamp,
                                    f"Starting '{wf}' workflow execution",
                                    event_type="workflow_started",
                                )
                            )
                        else:
                            event_rows.append(
                                event_row(
                                    row,
                                    stamp,
                                    f"Step {k} of {wf}",
                                    level="info",
                                    node_instance_id=None,
                                )
                            )
                if n == 0:
                    create_id = exec_id
            store.insert_many("executions", exec_rows)
            insert_events(services, event_rows)
            store.execute(
                "UPDATE node_instances SET state = 'started' WHERE deployment_pk = ?", (pk,)
            )
            store.execute(
                "UPDATE deployments SET create_execution = ?, latest_execution = ? WHERE pk = ?",
                (create_id, last_id, pk),
            )
            recompute_status(services, pk)
        for index in indexes:
            store.execute(index["sql"])
        store.set_meta("seed", f"scale:{count}")
    # The commit has copied the seed into the database file; give back the write-ahead
    # log's disk space (as large as the seed) instead of keeping it until next start.
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def apply_seed(services: Services, seed: str) -> bool:
    """Seed an empty store; returns False when the store already holds data."""
    ensure_demo_blueprints(services)
    if seed == "none":
        return False
    if services.store.get_meta("seed") is not None or services.store.one(
        "SELECT 1 FROM deployments LIMIT 1"
    ):
        return False
    if seed == "demo":
        seed_demo(services)
        return True
    if seed.startswith("scale:"):
        seed_scale(services, int(seed.split(":", 1)[1]))
        return True
    raise ValueError(f"unknown seed {seed!r}: use demo, scale:N or none")
