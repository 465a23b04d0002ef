"""Tenant roles with the permissions a real 7.0.4 manager gives them by default.

An `operations` member deploys and runs workflows but cannot manage blueprints or
write secrets; the official client drives a manager process that has one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudify_rest_client.exceptions import CloudifyClientError, ForbiddenError

from tests.manager.test_client_conformance import END_STATES, client, raises, wait_status
from tests.manager_process import ManagerProcess, add_user
from tui.manager.app import routes
from tui.manager.auth import PERMISSION_ROLES, ROLE_PERMISSIONS

OPS_PASSWORD = "ops-pw"


@pytest.fixture
def ops_manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A demo manager with `ops`, an `operations` member of default_tenant only."""
    data = tmp_path / "manager"
    add_user(data, "ops", OPS_PASSWORD, "operations")
    proc = ManagerProcess(data=data).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_operations_member_creates_runs_and_deletes_a_deployment(
    ops_manager: ManagerProcess,
) -> None:
    ops = client(ops_manager, "ops", password=OPS_PASSWORD)
    created = ops.deployments.create("webapp", "ops-web", inputs={"replicas": 1})
    assert (created.id, created.created_by) == ("ops-web", "ops")
    env = ops.executions.get(created["create_execution"])
    assert (env.workflow_id, env.status) == ("create_deployment_environment", "terminated")

    install = ops.executions.start("ops-web", "install")
    assert install.created_by == "ops"
    assert wait_status(ops, install.id, *END_STATES).status == "terminated"
    assert ops.deployments.get("ops-web").installation_status == "active"
    assert ops.deployments.delete("ops-web", force=True) is None
    raises(
        lambda: ops.deployments.get("ops-web"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `ops-web` was not found",
    )
    # A deployment never installed goes without force.
    ops.deployments.create("database", "ops-db")
    ops.deployments.delete("ops-db")
    assert "ops-db" not in {d.id for d in ops.deployments.list()}


def test_operations_member_stays_in_its_tenant_and_viewer_cannot_create(
    ops_manager: ManagerProcess,
) -> None:
    eu = client(ops_manager, "ops", "team-eu", password=OPS_PASSWORD)
    raises(
        lambda: eu.deployments.create("webapp", "ops-eu"),
        ForbiddenError,
        403,
        "forbidden_error",
        "Authorization failed: Tried to authenticate with invalid tenant name: team-eu",
    )
    viewer = client(ops_manager, "viewer")
    for call, permission in (
        (lambda: viewer.deployments.create("webapp", "viewer-web"), "deployment_create"),
        (lambda: viewer.deployments.delete("db-replica"), "deployment_delete"),
    ):
        raises(
            call,
            ForbiddenError,
            403,
            "forbidden_error",
            f"User `viewer` is not permitted to perform the action {permission} "
            "in the tenant `default_tenant`",
        )
    admin = client(ops_manager)
    assert {"db-replica"} <= {d.id for d in admin.deployments.list()}
    assert "viewer-web" not in {d.id for d in admin.deployments.list()}


def test_every_permission_an_endpoint_checks_has_its_real_roles() -> None:
    """A permission missing from the table would silently be admin-only."""
    checked = {getattr(route.endpoint, "permission", None) for route in routes()} - {None}
    assert checked <= set(PERMISSION_ROLES), checked - set(PERMISSION_ROLES)
    # The real defaults that differ between tenant roles, for the permissions known here.
    assert ROLE_PERMISSIONS["operations"] == ROLE_PERMISSIONS["user"] - {
        "secret_create",
        "secret_update",
        "secret_delete",
    }
    sys_admin_only = {"snapshot_create"}
    assert PERMISSION_ROLES["snapshot_create"] == frozenset()
    assert (
        ROLE_PERMISSIONS["user"]
        == ROLE_PERMISSIONS["manager"]
        == set(PERMISSION_ROLES) - sys_admin_only
    )
    # the reads whose real names do not say so: a deployment's outputs and capabilities
    reads = {"deployment_modification_outputs", "deployment_capabilities"}
    assert ROLE_PERMISSIONS["viewer"] == reads | {
        p for p in PERMISSION_ROLES if p.endswith(("_list", "_get", "_should_start"))
    }


def test_tenants_listed_per_user(manager: ManagerProcess) -> None:
    """`GET /tenants`: every tenant for an admin, a user's own otherwise; refused, like
    any request, when its Tenant header names a tenant the user may not use."""
    assert [t.name for t in client(manager).tenants.list(sort="name")] == [
        "default_tenant",
        "team-eu",
    ]
    assert [t.name for t in client(manager, "operator").tenants.list()] == ["default_tenant"]
    assert [t.name for t in client(manager, "viewer").tenants.list(sort="name")] == [
        "default_tenant",
        "team-eu",
    ]
    raises(
        lambda: client(manager, "operator", tenant="team-eu").tenants.list(),
        ForbiddenError,
        403,
        "forbidden_error",
        "Tried to authenticate with invalid tenant name: team-eu",
    )
