"""The official Python client (`cloudify-common`, `cloudify_rest_client`) against the
embedded manager over a loopback socket.

Every call of section 11 of `shared/reference/cloudify-rest-api.md` is driven here,
with the exception classes, error codes, HTTP statuses and messages of the real
manager (sections 2, 5, 6, 7, 8 and 9 of the same page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import (
    CloudifyClientError,
    DeploymentEnvironmentCreationInProgressError,
    DeploymentEnvironmentCreationPendingError,
    ForbiddenError,
    IllegalExecutionParametersError,
    InvalidExecutionUpdateStatus,
    NoSuchIncludeFieldError,
    UnknownDeploymentInputError,
    UserUnauthorizedError,
)
from cloudify_rest_client.executions import Execution

from tests.manager_process import DEMO_CREATION_ORDER, PASSWORDS, ManagerProcess
from tests.polling import wait_for as wait_until

T = TypeVar("T")
END_STATES = {"terminated", "failed", "cancelled"}
DEFAULT_DEPLOYMENTS = DEMO_CREATION_ORDER
EU_DEPLOYMENTS = ["web-eu", "db-eu"]
# Keys the `cfy` CLI reads from every event or log (reference 9.4).
CLI_EVENT_KEYS = {
    "deployment_id",
    "execution_id",
    "node_name",
    "operation",
    "workflow_id",
    "node_instance_id",
    "error_causes",
    "message",
    "source_id",
    "target_id",
}
TOKEN_RE = re.compile(r"^ctok-([A-Za-z0-9]{10})-([A-Za-z0-9]{40})$")


# -- helpers ------------------------------------------------------------------------------


def client(
    manager: ManagerProcess,
    user: str | None = "admin",
    tenant: str | None = "default_tenant",
    *,
    password: str | None = None,
    token: str | None = None,
) -> CloudifyClient:
    """The official client as `cfy` builds it: Basic auth (or a token) plus a tenant."""
    kwargs: dict[str, Any] = {}
    if token is not None:
        kwargs["token"] = token
    elif user is not None:
        kwargs["username"] = user
        kwargs["password"] = password if password is not None else PASSWORDS[user]
    return CloudifyClient(
        host="127.0.0.1", port=manager.port, protocol="http", tenant=tenant, **kwargs
    )


def wait_status(
    c: CloudifyClient, exec_id: str, *statuses: str, timeout: float = 30.0
) -> Execution:
    def probe() -> Execution | None:
        execution = c.executions.get(exec_id)
        return execution if execution.status in statuses else None

    return wait_until(probe, timeout=timeout, what=f"execution {exec_id} to reach {statuses}")


def raises(
    call: Callable[[], Any], cls: type[CloudifyClientError], status: int, code: str, *fragments: str
) -> CloudifyClientError:
    """Run `call`; it must raise exactly `cls` with this status, code and message parts."""
    with pytest.raises(CloudifyClientError) as info:
        call()
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert err.status_code == status, str(err)
    assert err.error_code == code, str(err)
    assert err.server_traceback is None, err.server_traceback
    for fragment in fragments:
        assert fragment in str(err), f"{fragment!r} not in {str(err)!r}"
    return err


def execution_ids(c: CloudifyClient) -> set[str]:
    return {e.id for e in c.executions.list(include_system_workflows=True, _get_all_results=True)}


def start_blocker(c: CloudifyClient, deployment: str = "analytics") -> Execution:
    """Start the long `reindex` and wait until it really runs."""
    execution = c.executions.start(deployment, "reindex")
    assert execution.status == "pending"
    return wait_status(c, execution.id, "started")


def _manager_at(data: Path, speed: float) -> Iterator[ManagerProcess]:
    proc = ManagerProcess(data=data, speed=speed).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def slow_manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A manager at real speed: an operation of `reindex` takes 18-42 s, so an
    execution stays `cancelling` while the test looks at it."""
    yield from _manager_at(tmp_path / "slow-manager", 1.0)


@pytest.fixture
def crawling_manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A manager 20 times slower than real life: a new execution stays `pending` for 8 s."""
    yield from _manager_at(tmp_path / "crawling-manager", 0.05)


@pytest.fixture(scope="module")
def admin(module_manager: ManagerProcess) -> CloudifyClient:
    return client(module_manager)


@pytest.fixture(scope="module")
def seeded(admin: CloudifyClient) -> dict[str, Execution]:
    """A few seeded executions by name: '<deployment>/<workflow>'."""
    return {
        f"{e.deployment_id}/{e.workflow_id}": e
        for e in admin.executions.list(include_system_workflows=True)
    }


# -- manager, authentication and tenancy -------------------------------------------------


def test_manager_version_and_status(admin: CloudifyClient) -> None:
    version = admin.manager.get_version()
    assert version["version"] == "7.0.4"
    assert version["edition"] == "community"
    assert {"distribution", "distro_release", "build", "date", "commit"} <= set(version)
    assert version["build"] is None and version["date"] is None and version["commit"] is None

    status = admin.manager.get_status()
    assert status["status"] == "OK"
    assert {"Webserver", "Management Worker", "PostgreSQL", "RabbitMQ"} <= set(status["services"])
    for name, entry in status["services"].items():
        assert entry["status"] == "Active", name
        assert entry["is_remote"] is False, name
    assert status["services"]["RabbitMQ"]["extra_info"]["connection_check"] == "OK"
    assert "extra_info" not in status["services"]["PostgreSQL"]


def test_version_and_status_need_no_tenant_but_any_user(module_manager: ManagerProcess) -> None:
    for user in ("viewer", "operator"):
        c = client(module_manager, user, tenant=None)
        assert c.manager.get_version()["version"] == "7.0.4"
        assert c.manager.get_status()["status"] == "OK"


def test_no_credentials_is_unauthorized(module_manager: ManagerProcess) -> None:
    anonymous = client(module_manager, user=None)
    raises(
        anonymous.manager.get_version,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "User unauthorized: No authentication info provided",
    )
    raises(
        anonymous.deployments.list,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "No authentication info provided",
    )


def test_wrong_password_is_unauthorized(module_manager: ManagerProcess) -> None:
    wrong = client(module_manager, "admin", password="not-the-password")
    for call in (wrong.manager.get_version, wrong.deployments.list, wrong.executions.list):
        raises(
            call,
            UserUnauthorizedError,
            401,
            "unauthorized_error",
            "User unauthorized: Authentication failed for <User username=`admin`>. "
            "Wrong credentials or locked account",
        )
    raises(wrong.tokens.list, UserUnauthorizedError, 401, "unauthorized_error")
    unknown_user = CloudifyClient(
        host="127.0.0.1",
        port=module_manager.port,
        protocol="http",
        username="nobody",
        password="x",
        tenant="default_tenant",
    )
    # The real one skips Basic for a name it does not know (probed on 7.0.4).
    raises(
        unknown_user.executions.list,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "User unauthorized: No authentication info provided",
    )


def test_bad_tokens_are_unauthorized(module_manager: ManagerProcess) -> None:
    malformed = client(module_manager, token="not-a-token")
    raises(
        malformed.manager.get_version,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "User unauthorized: Invalid token structure",
    )
    unknown = client(module_manager, token="ctok-AAAAAAAAAA-" + "B" * 40)
    raises(
        unknown.deployments.list,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "User unauthorized: Unauthorized",
    )


def test_tenant_errors_are_forbidden(module_manager: ManagerProcess) -> None:
    no_tenant = client(module_manager, "admin", tenant=None)
    for call in (no_tenant.deployments.list, no_tenant.executions.list, no_tenant.events.list):
        raises(
            call,
            ForbiddenError,
            403,
            "forbidden_error",
            "Authorization failed: tenant not provided",
        )
    nope = client(module_manager, "admin", tenant="nope")
    raises(
        nope.deployments.list,
        ForbiddenError,
        403,
        "forbidden_error",
        "Authorization failed: Tried to authenticate with invalid tenant name: nope",
    )
    # The operator is a member of default_tenant only.
    operator_eu = client(module_manager, "operator", tenant="team-eu")
    for call in (
        operator_eu.deployments.list,
        operator_eu.executions.list,
        lambda: operator_eu.executions.start("web-eu", "install"),
    ):
        raises(
            call,
            ForbiddenError,
            403,
            "forbidden_error",
            "Authorization failed: Tried to authenticate with invalid tenant name: team-eu",
        )
    assert sorted(d.id for d in client(module_manager, "operator").deployments.list()) == sorted(
        DEFAULT_DEPLOYMENTS
    )
    # The viewer is a member of both tenants.
    viewer_eu = client(module_manager, "viewer", tenant="team-eu")
    assert [d.id for d in viewer_eu.deployments.list()] == EU_DEPLOYMENTS


# -- tokens --------------------------------------------------------------------------------


def test_tokens_create_list_get_delete_and_use(module_manager: ManagerProcess) -> None:
    admin = client(module_manager)
    created = admin.tokens.create(description="conformance token")
    match = TOKEN_RE.match(created.value)
    assert match, created.value
    assert created.id == match.group(1)
    assert created.username == "admin"
    assert created.role == "sys_admin"
    assert created.description == "conformance token"
    assert created.expiration_date is None  # no expiration given: never expires
    assert created.last_used is None

    masked = f"ctok-{created.id}-********"
    listed = {t.id: t for t in admin.tokens.list()}
    assert listed[created.id].value == masked
    assert listed[created.id].description == "conformance token"
    fetched = admin.tokens.get(created.id)
    assert fetched.value == masked
    assert fetched.username == "admin"
    assert fetched.role == "sys_admin"

    # The token alone authenticates, for manager-level and tenant-scoped calls.
    by_token = client(module_manager, token=created.value)
    assert by_token.manager.get_version()["version"] == "7.0.4"
    assert sorted(d.id for d in by_token.deployments.list()) == sorted(DEFAULT_DEPLOYMENTS)
    assert admin.tokens.get(created.id).last_used is not None
    # A token that is shaped right but carries the wrong secret is rejected.
    forged = client(module_manager, token=f"ctok-{created.id}-" + "x" * 40)
    raises(
        forged.manager.get_version,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "User unauthorized: Unauthorized",
    )

    assert admin.tokens.delete(created.id) is None
    assert created.id not in {t.id for t in admin.tokens.list()}
    for call in (lambda: admin.tokens.get(created.id), lambda: admin.tokens.delete(created.id)):
        raises(
            call,
            CloudifyClientError,
            404,
            "not_found_error",
            f"Could not find token {created.id}",
        )
    raises(
        by_token.manager.get_version,
        UserUnauthorizedError,
        401,
        "unauthorized_error",
        "User unauthorized: Unauthorized",
    )


def test_token_expiration(module_manager: ManagerProcess) -> None:
    admin = client(module_manager)
    raises(
        lambda: admin.tokens.create(expiration="2001-01-01 00:00"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Expiration date was in the past.",
    )
    # The client accepts "YYYY-MM-DD HH:MM" and relative "+N unit" expressions and
    # sends them as they are; the server parses both.
    absolute = admin.tokens.create(description="absolute", expiration="2099-05-04 03:02")
    assert absolute.expiration_date.startswith("2099-05-04T03:02:00")
    relative = admin.tokens.create(description="relative", expiration="+1 day")
    expires = datetime.strptime(relative.expiration_date, "%Y-%m-%dT%H:%M:%S.%fZ")
    expires = expires.replace(tzinfo=UTC)
    expected = datetime.now(UTC) + timedelta(days=1)
    assert abs((expires - expected).total_seconds()) < 120, relative.expiration_date
    for token in (absolute, relative):
        assert client(module_manager, token=token.value).manager.get_version()
        admin.tokens.delete(token.id)


def test_tokens_are_private_to_their_owner(module_manager: ManagerProcess) -> None:
    viewer = client(module_manager, "viewer", tenant=None)
    operator = client(module_manager, "operator", tenant=None)
    admin = client(module_manager, tenant=None)
    mine = viewer.tokens.create(description="viewer's")
    assert mine.username == "viewer"
    assert mine.role == "default"
    try:
        assert {t.username for t in viewer.tokens.list()} == {"viewer"}
        assert mine.id not in {t.id for t in operator.tokens.list()}
        for call in (lambda: operator.tokens.get(mine.id), lambda: operator.tokens.delete(mine.id)):
            raises(
                call,
                CloudifyClientError,
                404,
                "not_found_error",
                f"Could not find token {mine.id}",
            )
        # sys_admin may manage other users' tokens.
        assert admin.tokens.get(mine.id).username == "viewer"
        # The viewer's token carries the viewer's rights: reading, not starting.
        as_viewer = client(module_manager, token=mine.value)
        assert [d.id for d in as_viewer.deployments.list()] == DEFAULT_DEPLOYMENTS
        raises(
            lambda: as_viewer.executions.start("web-prod", "install"),
            ForbiddenError,
            403,
            "forbidden_error",
            "User `viewer` is not permitted to perform the action execution_start in the "
            "tenant `default_tenant`",
        )
    finally:
        viewer.tokens.delete(mine.id)


# -- deployments and workflows ----------------------------------------------------------


def test_deployments_list_filters_sort_include_and_paging(
    module_manager: ManagerProcess, admin: CloudifyClient
) -> None:
    listed = admin.deployments.list()
    # Default order: created_at ascending (the order the seed created them in).
    assert [d.id for d in listed] == DEFAULT_DEPLOYMENTS
    pagination = listed.metadata.pagination
    assert (pagination.total, pagination.size, pagination.offset) == (6, 1000, 0)
    assert listed.metadata["filtered"] is None
    web = next(d for d in listed if d.id == "web-prod")
    assert web.blueprint_id == "webapp"
    # The blueprint's own workflows first, then the built-in ones in types-file order.
    assert [w.name for w in web.workflows][:4] == [
        "rolling_restart",
        "rotate_certificates",
        "install",
        "check_status",
    ]

    assert [d.id for d in admin.deployments.list(sort="id")] == sorted(DEFAULT_DEPLOYMENTS)
    assert [d.id for d in admin.deployments.list(sort="id", is_descending=True)] == sorted(
        DEFAULT_DEPLOYMENTS, reverse=True
    )
    projected = admin.deployments.list(_include=["id", "display_name"])
    assert [set(d) for d in projected] == [{"id", "display_name"}] * 6
    assert projected[0].display_name == "Web shop (production)"

    assert [d.id for d in admin.deployments.list(blueprint_id="webapp")] == [
        "web-prod",
        "web-staging",
        "web-canary",
    ]
    assert [d.id for d in admin.deployments.list(blueprint_id=["database", "analytics"])] == [
        "db-main",
        "db-replica",
        "analytics",
    ]
    assert [d.id for d in admin.deployments.list(_search="DB")] == ["db-main", "db-replica"]
    assert [d.id for d in admin.deployments.list(_search="web", sort="id")] == [
        "web-canary",
        "web-prod",
        "web-staging",
    ]
    assert [d.id for d in admin.deployments.list(installation_status="inactive")] == [
        "db-replica",
        "web-canary",
    ]
    page = admin.deployments.list(sort="id", _size=2, _offset=1)
    assert [d.id for d in page] == sorted(DEFAULT_DEPLOYMENTS)[1:3]
    assert (page.metadata.pagination.total, page.metadata.pagination.size) == (6, 2)
    assert page.metadata.pagination.offset == 1
    assert list(admin.deployments.list(blueprint_id="nope")) == []

    eu = client(module_manager, tenant="team-eu")
    assert [d.id for d in eu.deployments.list()] == EU_DEPLOYMENTS


def test_deployments_list_rejects_unknown_keys(admin: CloudifyClient) -> None:
    raises(
        lambda: admin.deployments.list(_include=["id", "nosuch"]),
        NoSuchIncludeFieldError,
        400,
        "no_such_include_field_error",
        "Include keys '['nosuch']' do not exist. Allowed keys are: [",
    )
    raises(
        lambda: admin.deployments.list(nosuch="x"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Filter keys '['nosuch']' do not exist. Allowed keys are: [",
    )
    raises(
        lambda: admin.deployments.list(sort="nosuch"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Sort keys '['nosuch']' do not exist. Allowed keys are: [",
    )
    # No saved filter exists: naming one is the real lookup's 404, not a silent no-op.
    for call in (
        lambda: admin.deployments.list(filter_id="nope"),
        lambda: admin.workflows.list(filter_id="nope"),
    ):
        raises(
            call,
            CloudifyClientError,
            404,
            "not_found_error",
            "Requested `DeploymentsFilter` with ID `nope` was not found",
        )


def test_deployment_get(module_manager: ManagerProcess, admin: CloudifyClient) -> None:
    web = admin.deployments.get("web-prod")
    assert web.id == "web-prod"
    assert web.display_name == "Web shop (production)"
    assert web.blueprint_id == "webapp"
    assert web.site_name == "eu-west"
    assert web.tenant_name == "default_tenant"
    assert web.visibility == "tenant"
    assert web.inputs == {"image": "ubuntu-22.04", "replicas": 1}
    assert [(label.key, label.value) for label in web.labels] == [
        ("env", "prod"),
        ("region", "eu-west"),
        ("team", "web"),
    ]
    assert web.installation_status == "active"
    assert web.deployment_status == "good"
    assert web.latest_execution_workflow_id == "rolling_restart"
    assert web.latest_execution_status == "completed"
    assert web["create_execution"]
    workflows = {w.name: w for w in web.workflows}
    assert {"install", "uninstall", "rolling_restart", "rotate_certificates"} <= set(workflows)
    restart = workflows["rolling_restart"]
    assert restart["plugin"] == "demo_plugin"
    assert restart.parameters["batch_size"]["type"] == "integer"
    assert restart.parameters["batch_size"]["default"] == 1
    # Every node instance is started: `install` (none/partial) is not available,
    # `rotate_certificates` (all) and `uninstall` are.
    assert workflows["install"].is_available is False
    assert workflows["uninstall"].is_available is True
    assert workflows["rotate_certificates"].is_available is True
    assert workflows["rotate_certificates"].availability_rules == {"node_instances_active": ["all"]}
    assert "created_at" not in restart

    replica = admin.deployments.get("db-replica")
    assert replica.installation_status == "inactive"
    assert replica.deployment_status == "requires_attention"
    assert {w.name: w.is_available for w in replica.workflows}["install"] is True
    analytics = admin.deployments.get("analytics")
    assert {w.name: w.is_available for w in analytics.workflows}["archive_old_data"] is False

    projected = admin.deployments.get("web-prod", _include=["id", "workflows"])
    assert set(projected) == {"id", "workflows"}
    assert {w.name for w in projected.workflows} == set(workflows)

    raises(
        lambda: admin.deployments.get("nope"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `nope` was not found",
    )
    # Deployments of another tenant are invisible.
    raises(
        lambda: client(module_manager, tenant="team-eu").deployments.get("web-prod"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `web-prod` was not found",
    )


def test_workflows_list(admin: CloudifyClient) -> None:
    web = admin.workflows.list(id="web-prod")
    names = [w.name for w in web]
    assert names == [w.name for w in admin.deployments.get("web-prod").workflows]
    assert "filtered" not in web.metadata
    assert web.metadata.pagination.total == len(names)
    rotate = next(w for w in web if w.name == "rotate_certificates")
    assert (rotate.plugin, rotate.operation) == ("demo_plugin", "workflows.rotate_certificates")
    assert "common_name" in rotate.parameters
    assert "default" not in rotate.parameters["common_name"]

    everything = {w.name for w in admin.workflows.list()}
    assert {"install", "rolling_restart", "backup", "reindex", "archive_old_data"} <= everything
    databases = {w.name for w in admin.workflows.list(blueprint_id="database")}
    assert "backup" in databases
    assert not {"reindex", "rolling_restart"} & databases


# -- executions: reading ----------------------------------------------------------------------


def test_executions_list(module_manager: ManagerProcess, admin: CloudifyClient) -> None:
    listed = admin.executions.list()
    assert listed.metadata.pagination.total == len(listed) >= 12
    assert listed.metadata["filtered"] is None
    # Blueprint uploads are executions without a deployment, as on a real manager.
    assert {e.deployment_id for e in listed} == {*DEFAULT_DEPLOYMENTS, None}
    uploads = [e for e in listed if e.deployment_id is None]
    assert {e.workflow_id for e in uploads} == {"upload_blueprint"}
    assert all(not e.is_system_workflow for e in listed)
    # create_deployment_environment is not a system workflow: it shows by default.
    assert "create_deployment_environment" in {e.workflow_id for e in listed}
    stamps = [e.created_at for e in listed]
    assert stamps == sorted(stamps)  # default order: created_at ascending
    assert {e.id for e in admin.executions.list(include_system_workflows=True)} >= {
        e.id for e in listed
    }

    db_main = admin.executions.list(deployment_id="db-main")
    assert [e.workflow_id for e in db_main] == [
        "create_deployment_environment",
        "install",
        "backup",
    ]
    failed = admin.executions.list(status="failed")
    assert [(e.deployment_id, e.workflow_id) for e in failed] == [
        ("db-main", "backup"),
        ("web-canary", "install"),
    ]
    ended = admin.executions.list(status=["terminated", "failed"])
    assert len(ended) == len(listed)
    assert list(admin.executions.list(status=["queued", "pending"])) == []

    newest_first = admin.executions.list(sort="created_at", is_descending=True)
    # The demo blueprints were uploaded in the same instant: compare times, not ids.
    assert [e.created_at for e in newest_first] == [e.created_at for e in reversed(listed)]
    assert {e.id for e in newest_first} == {e.id for e in listed}
    page = admin.executions.list(sort="created_at", _size=2, _offset=1)
    assert [e.id for e in page] == [e.id for e in listed][1:3]
    assert page.metadata.pagination.total == len(listed)
    assert (page.metadata.pagination.size, page.metadata.pagination.offset) == (2, 1)

    projected = admin.executions.list(_include=["id", "status"], deployment_id="web-prod")
    assert [set(e) for e in projected] == [{"id", "status"}] * 3
    assert list(admin.executions.list(deployment_id="nope")) == []

    eu = client(module_manager, tenant="team-eu").executions.list()
    assert {e.deployment_id for e in eu} == {*EU_DEPLOYMENTS, None}  # None: uploads
    assert {e["tenant_name"] for e in eu} == {"team-eu"}

    raises(
        lambda: admin.executions.list(nosuch="x"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Filter keys '['nosuch']' do not exist",
    )
    raises(
        lambda: admin.executions.list(_include=["id", "nosuch"]),
        NoSuchIncludeFieldError,
        400,
        "no_such_include_field_error",
        "Include keys '['nosuch']' do not exist",
    )


def test_execution_get(
    module_manager: ManagerProcess, admin: CloudifyClient, seeded: dict[str, Execution]
) -> None:
    backup = admin.executions.get(seeded["db-main/backup"].id)
    assert backup.status == "failed"
    assert backup.status_display == "failed"
    assert backup.workflow_id == "backup"
    assert backup.deployment_id == "db-main"
    assert backup.blueprint_id == "database"
    assert backup["deployment_display_name"] == "Main database"
    # Declared defaults are filled in next to what was given.
    assert backup.parameters == {
        "destination": "s3://backups/nightly",
        "compress": True,
        "tables": [],
    }
    last_line = backup.error.strip().splitlines()[-1]
    assert last_line.startswith("cloudify.exceptions.NonRecoverableError: pg_dump: error")
    assert (backup.total_operations, backup.finished_operations) == (3, 1)
    assert backup.created_at <= backup.started_at <= backup.ended_at
    assert backup.created_by == "admin"
    assert backup.is_dry_run is False
    assert backup["resume"] is False
    assert backup["allow_custom_parameters"] is False
    assert backup["parameters_p"] is None

    install = admin.executions.get(seeded["web-prod/install"].id)
    assert (install.status, install.status_display) == ("terminated", "completed")
    assert install.error == ""  # every worker status update clears it
    assert install.total_operations == install.finished_operations > 0

    projected = admin.executions.get(backup.id, _include=["id", "status"])
    assert dict(projected) == {"id": backup.id, "status": "failed"}
    raises(
        lambda: admin.executions.get("nope"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Execution` with ID `nope` was not found",
    )
    raises(
        lambda: client(module_manager, tenant="team-eu").executions.get(backup.id),
        CloudifyClientError,
        404,
        "not_found_error",
    )


# -- events ------------------------------------------------------------------------------------


def test_events_list(admin: CloudifyClient, seeded: dict[str, Execution]) -> None:
    install = seeded["web-prod/install"]
    events = admin.events.list(execution_id=install.id, sort="reported_timestamp")
    assert "filtered" not in events.metadata
    assert events.metadata.pagination.total == len(events.items) > 0
    assert events.metadata.pagination.size == 10000  # the /events default page size
    assert {e["type"] for e in events} == {"cloudify_event"}
    everything = admin.events.list(
        execution_id=install.id, include_logs=True, sort="reported_timestamp"
    )
    assert {e["type"] for e in everything} == {"cloudify_event", "cloudify_log"}
    assert len(everything) > len(events)
    stamps = [e["reported_timestamp"] for e in everything]
    assert stamps == sorted(stamps)
    assert everything[0]["event_type"] == "workflow_started"
    assert everything[-1]["event_type"] == "workflow_succeeded"
    for item in everything:
        assert set(item) >= CLI_EVENT_KEYS, CLI_EVENT_KEYS - set(item)
        assert item["execution_id"] == install.id
        assert item["deployment_id"] == "web-prod"
        assert item["workflow_id"] == "install"
        assert {"timestamp", "reported_timestamp", "_storage_id"} <= set(item)
        assert not {"id", "node_id", "message_code"} & set(item)
        if item["type"] == "cloudify_event":
            assert "event_type" in item and "level" not in item
        else:
            assert {"level", "logger"} <= set(item) and "event_type" not in item
    tasks = [e for e in everything if e.get("event_type") == "task_succeeded"]
    assert tasks and all(e["node_instance_id"] and e["node_name"] for e in tasks)
    assert {e["node_name"] for e in tasks} == {"vm", "nginx", "app"}
    assert all(e["operation"].startswith("cloudify.interfaces.lifecycle.") for e in tasks)

    # Paging as `cfy events list --tail` does: _offset advances by what came back.
    pages: list[dict[str, Any]] = []
    while True:
        page = admin.events.list(
            execution_id=install.id,
            include_logs=True,
            sort="reported_timestamp",
            _offset=len(pages),
            _size=7,
        )
        assert page.metadata.pagination.total == len(everything)
        assert (page.metadata.pagination.offset, page.metadata.pagination.size) == (
            len(pages),
            7,
        )
        pages.extend(page.items)
        if len(page.items) < 7:
            break
    assert [(e["type"], e["_storage_id"]) for e in pages] == [
        (e["type"], e["_storage_id"]) for e in everything
    ]

    newest_first = admin.events.list(
        execution_id=install.id, include_logs=True, sort="-reported_timestamp"
    )
    assert [e["_storage_id"] for e in newest_first] == [
        e["_storage_id"] for e in reversed(everything.items)
    ]
    started = admin.events.list(execution_id=install.id, message="Starting '%")
    assert [e["event_type"] for e in started] == ["workflow_started"]
    projected = admin.events.list(execution_id=install.id, _include=["message", "type"])
    assert all(set(e) == {"message", "type"} for e in projected)

    failed = admin.events.list(execution_id=seeded["db-main/backup"].id, include_logs=True)
    task_failed = [e for e in failed if e.get("event_type") == "task_failed"]
    assert len(task_failed) == 1
    cause = task_failed[0]["error_causes"][0]
    assert cause["type"] == "NonRecoverableError"
    assert "pg_dump" in cause["message"] and "Traceback" in cause["traceback"]
    errors = [e for e in failed if e.get("level") == "error"]
    assert errors and "pg_dump" in errors[0]["message"]

    raises(
        lambda: admin.events.list(nosuch="x"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Unknown field to filter by: nosuch",
    )
    raises(
        lambda: admin.events.list(sort="nosuch"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Unknown field to sort by: nosuch",
    )


def test_events_get_is_a_paged_list(admin: CloudifyClient, seeded: dict[str, Execution]) -> None:
    install = seeded["web-prod/install"]
    with pytest.warns(DeprecationWarning):
        first, total = admin.events.get(install.id, batch_size=5, include_logs=True)
    everything = admin.events.list(execution_id=install.id, include_logs=True, sort="@timestamp")
    assert total == len(everything)
    assert [e["_storage_id"] for e in first] == [e["_storage_id"] for e in everything][:5]
    with pytest.warns(DeprecationWarning):
        rest, _ = admin.events.get(install.id, from_event=5, batch_size=1000, include_logs=True)
    assert len(first) + len(rest) == total


# -- executions: rejected starts and actions (nothing is persisted) ---------------------------


def test_start_rejections_leave_nothing_behind(module_manager: ManagerProcess) -> None:
    admin = client(module_manager)
    before = execution_ids(admin)
    raises(
        lambda: admin.executions.start("web-prod", "nope"),
        CloudifyClientError,
        400,
        "nonexistent_workflow_error",
        "Workflow nope does not exist in the deployment web-prod",
    )
    raises(
        lambda: admin.executions.start("web-prod", "rolling_restart", {"zzz": 1}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Workflow "rolling_restart" does not have the following parameters declared: zzz. '
        "Remove these parameters or use the flag for allowing custom parameters",
    )
    raises(
        lambda: admin.executions.start("web-prod", "rotate_certificates"),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Workflow "rotate_certificates" must be provided with the following parameters to '
        "execute: common_name",
    )
    err = raises(
        lambda: admin.executions.start(
            "web-prod", "rolling_restart", {"batch_size": "abc", "drain_timeout": "soon"}
        ),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
    )
    assert err._message.split("\n") == [
        'Parameter "batch_size" must be of type integer',
        'Parameter "drain_timeout" must be of type integer',
    ]
    raises(
        lambda: admin.executions.start("db-main", "backup", {"compress": "yes"}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Parameter "compress" must be of type boolean',
    )
    raises(
        lambda: admin.executions.start("db-main", "backup", {"tables": ["users", 5]}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Parameter "tables" must be of type list of strings',
    )
    raises(
        lambda: admin.executions.start("analytics", "reindex", {"priority": "urgent"}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Parameter "priority" does not meet its constraints',
    )
    raises(
        lambda: admin.executions.start("nope", "install"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `nope` was not found",
    )
    raises(
        lambda: client(module_manager, "viewer").executions.start("web-prod", "install"),
        ForbiddenError,
        403,
        "forbidden_error",
        "User `viewer` is not permitted to perform the action execution_start in the tenant "
        "`default_tenant`",
    )
    raises(
        lambda: client(module_manager, "viewer").deployments.create("webapp", "viewer-dep"),
        ForbiddenError,
        403,
        "forbidden_error",
        "User `viewer` is not permitted to perform the action deployment_create",
    )
    assert execution_ids(admin) == before


def test_actions_on_ended_executions(
    module_manager: ManagerProcess, seeded: dict[str, Execution]
) -> None:
    admin = client(module_manager)
    done = seeded["web-prod/install"].id
    failed = seeded["db-main/backup"].id
    raises(
        lambda: admin.executions.cancel(done),
        CloudifyClientError,
        400,
        "illegal_action_error",
        f"Can't cancel execution {done} because it's in status terminated",
    )
    raises(
        lambda: admin.executions.cancel(failed, force=True),
        CloudifyClientError,
        400,
        "illegal_action_error",
        f"Can't force-cancel execution {failed} because it's in status failed",
    )
    raises(
        lambda: admin.executions.requeue(done),
        CloudifyClientError,
        400,
        "illegal_action_error",
        f"Can't cancel execution {done} because it's in status terminated",
    )
    raises(
        lambda: admin.executions.resume(done),
        CloudifyClientError,
        409,
        "conflict_error",
        f"Cannot resume execution: `{done}` in state: `terminated`",
    )
    raises(
        lambda: admin.executions.resume(done, force=True),
        CloudifyClientError,
        409,
        "conflict_error",
        f"Cannot force-resume execution: `{done}` in state: `terminated`",
    )
    raises(
        lambda: admin.executions.update(done, "started"),
        InvalidExecutionUpdateStatus,
        400,
        "invalid_exception_status_update",
        f"Invalid relationship - can't change status from terminated to started for "
        f'"{done}" execution while running "install" workflow.',
    )
    # Cancels look the id up with a list query, resumes and PATCHes with a get.
    for call in (
        lambda: admin.executions.cancel("nope"),
        lambda: admin.executions.cancel("nope", kill=True),
        lambda: admin.executions.requeue("nope"),
    ):
        raises(
            call,
            CloudifyClientError,
            404,
            "not_found_error",
            "Requested `Execution` ['nope'] was not found",
        )
    for call in (
        lambda: admin.executions.resume("nope"),
        lambda: admin.executions.resume("nope", force=True),
        lambda: admin.executions.update("nope", "started"),
    ):
        raises(
            call,
            CloudifyClientError,
            404,
            "not_found_error",
            "Requested `Execution` with ID `nope` was not found",
        )
    viewer = client(module_manager, "viewer")
    for call, permission in (
        (lambda: viewer.executions.cancel(done), "execution_cancel"),
        (lambda: viewer.executions.cancel(done, kill=True), "execution_cancel"),
        (lambda: viewer.executions.resume(failed), "execution_cancel"),
        (lambda: viewer.executions.update(done, "terminated"), "execution_status_update"),
    ):
        raises(
            call,
            ForbiddenError,
            403,
            "forbidden_error",
            f"User `viewer` is not permitted to perform the action {permission} in the tenant "
            "`default_tenant`",
        )
    assert admin.executions.get(failed).status == "failed"


# -- executions: starting and running (fresh manager each) ---------------------------------


def test_start_install_runs_to_completion(manager: ManagerProcess) -> None:
    admin = client(manager)
    before = admin.deployments.get("db-replica")
    execution = admin.executions.start("db-replica", "install")
    assert execution.status == "pending"
    assert execution.workflow_id == "install"
    assert execution.deployment_id == "db-replica"
    assert execution.blueprint_id == "database"
    assert execution.created_by == "admin"
    assert execution.error is None
    assert execution.is_dry_run is False
    assert execution.parameters == {"type_names": [], "node_ids": [], "node_instance_ids": []}
    assert execution.started_at is None and execution.ended_at is None
    assert (execution.total_operations, execution.finished_operations) == (0, 0)
    assert before.latest_execution_workflow_id == "create_deployment_environment"

    done = wait_status(admin, execution.id, *END_STATES)
    assert done.status == "terminated"
    assert done.status_display == "completed"
    assert done.total_operations == done.finished_operations == 6
    assert execution.created_at <= done.started_at <= done.ended_at
    after = admin.deployments.get("db-replica")
    assert after.latest_execution_id == execution.id
    assert after.latest_execution_status == "completed"
    assert after.installation_status == "active"
    assert after.deployment_status == "good"
    assert {w.name: w.is_available for w in after.workflows}["install"] is False

    events = admin.events.list(execution_id=execution.id, sort="reported_timestamp")
    kinds = [e["event_type"] for e in events]
    assert kinds[0] == "workflow_started" and kinds[-1] == "workflow_succeeded"
    assert kinds.count("task_succeeded") == 6


def test_conflict_then_queue_runs_when_the_blocker_ends(manager: ManagerProcess) -> None:
    admin = client(manager)
    blocker = start_blocker(admin)
    before = execution_ids(admin)
    err = raises(
        lambda: admin.executions.start("analytics", "check_status"),
        CloudifyClientError,
        400,
        "existing_running_execution_error",
        "The following executions are currently running for this deployment: "
        f"[<Execution id=`{blocker.id}` tenant=`default_tenant` status=`started` "
        'workflow_id=`reindex`>]. To execute this workflow anyway, pass "force=true" as a '
        "query parameter to this request",
    )
    assert err.status_code == 400
    assert execution_ids(admin) == before  # the rejected start left nothing behind

    queued = admin.executions.start("analytics", "check_status", queue=True)
    assert queued.status == "queued"
    assert queued.started_at is None
    # A second queued one waits behind the first; a non-queued start still conflicts
    # and names every blocker, the queued one included.
    second = admin.executions.start("analytics", "check_drift", queue=True)
    assert second.status == "queued"
    err = raises(
        lambda: admin.executions.start("analytics", "pull"),
        CloudifyClientError,
        400,
        "existing_running_execution_error",
    )
    assert queued.id in str(err) and second.id in str(err)
    # A deployment with running or queued executions cannot go, even with force.
    err = raises(
        lambda: admin.deployments.delete("analytics", force=True),
        CloudifyClientError,
        400,
        "dependent_exists_error",
        "Can't delete deployment analytics - There are running or queued executions for this "
        "deployment. Running executions ids: ",
    )
    assert set(err._message.rsplit(": ", 1)[1].split(",")) == {blocker.id, queued.id, second.id}
    # Queueing does not move latest_execution.
    assert admin.deployments.get("analytics").latest_execution_id == blocker.id
    assert admin.executions.should_start(queued.id) is False
    assert admin.executions.should_start(blocker.id) is True
    assert [e.id for e in admin.executions.list(deployment_id="analytics", status="queued")] == [
        queued.id,
        second.id,
    ]

    cancelling = admin.executions.cancel(blocker.id)
    assert cancelling.status == "cancelling"
    assert wait_status(admin, blocker.id, *END_STATES).status == "cancelled"
    # The blocker ended: the oldest queued execution starts by itself, then the next.
    first_done = wait_status(admin, queued.id, *END_STATES)
    assert first_done.status == "terminated"
    assert first_done.started_at >= admin.executions.get(blocker.id).ended_at
    second_done = wait_status(admin, second.id, *END_STATES)
    assert second_done.status == "terminated"
    assert second_done.started_at >= first_done.ended_at


def test_force_start_runs_alongside_and_kill(manager: ManagerProcess) -> None:
    admin = client(manager)
    blocker = start_blocker(admin)
    forced = admin.executions.start("analytics", "check_status", force=True)
    assert forced.status == "pending"
    done = wait_status(admin, forced.id, *END_STATES)
    assert done.status == "terminated"
    assert admin.executions.get(blocker.id).status == "started"

    killed = admin.executions.cancel(blocker.id, kill=True)
    assert killed.status == "kill_cancelling"
    assert killed.error == ""
    assert wait_status(admin, blocker.id, *END_STATES).status == "cancelled"
    events = admin.events.list(execution_id=blocker.id)
    assert events[-1]["event_type"] == "workflow_cancelled"
    dep = admin.deployments.get("analytics")
    assert dep.latest_execution_id == blocker.id
    assert dep.latest_execution_status == "cancelled"


def test_dry_run_changes_nothing(manager: ManagerProcess) -> None:
    admin = client(manager)
    execution = admin.executions.start("db-replica", "install", dry_run=True)
    assert execution.is_dry_run is True
    done = wait_status(admin, execution.id, *END_STATES)
    assert done.status == "terminated"
    assert done.is_dry_run is True
    assert admin.executions.list(is_dry_run=True)[0].id == execution.id
    # No node instance moved: the deployment is still not installed.
    replica = admin.deployments.get("db-replica")
    assert replica.installation_status == "inactive"
    assert {w.name: w.is_available for w in replica.workflows}["install"] is True
    messages = [e["message"] for e in admin.events.list(execution_id=execution.id)]
    assert any("(dry run)" in m for m in messages)


def test_cancel_answers_cancelling_then_cancelled(manager: ManagerProcess) -> None:
    admin = client(manager)
    blocker = start_blocker(admin)
    cancelling = admin.executions.cancel(blocker.id)
    assert cancelling.status == "cancelling"
    assert cancelling.error == ""
    cancelled = wait_status(admin, blocker.id, "cancelled", "failed", "terminated")
    assert cancelled.status == "cancelled"
    assert cancelled.ended_at is not None
    raises(
        lambda: admin.executions.cancel(blocker.id),
        CloudifyClientError,
        400,
        "illegal_action_error",
        f"Can't cancel execution {blocker.id} because it's in status cancelled",
    )
    raises(
        lambda: admin.executions.cancel(blocker.id, force=True),
        CloudifyClientError,
        400,
        "illegal_action_error",
        f"Can't force-cancel execution {blocker.id} because it's in status cancelled",
    )
    # Cancelling a queued execution also answers `cancelling` first.
    second = start_blocker(admin)
    queued = admin.executions.start("analytics", "check_status", queue=True)
    assert admin.executions.cancel(queued.id).status == "cancelling"
    assert wait_status(admin, queued.id, *END_STATES).status == "cancelled"
    assert admin.executions.get(second.id).status == "started"
    forced = admin.executions.cancel(second.id, force=True)
    assert forced.status == "force_cancelling"
    assert wait_status(admin, second.id, *END_STATES).status == "cancelled"


def test_requeue_behaves_like_cancel(manager: ManagerProcess) -> None:
    admin = client(manager)
    blocker = start_blocker(admin)
    requeued = admin.executions.requeue(blocker.id)
    assert requeued.status == "cancelling"
    assert wait_status(admin, blocker.id, *END_STATES).status == "cancelled"


def test_kill_rewrites_an_ended_execution(manager: ManagerProcess) -> None:
    admin = client(manager)
    done = admin.executions.list(deployment_id="web-prod", workflow_id="install")[0]
    assert done.status == "terminated"
    killed = admin.executions.cancel(done.id, kill=True)
    assert killed.status == "kill_cancelling"
    assert wait_status(admin, done.id, *END_STATES).status == "cancelled"


def test_resume_and_force_resume_a_failed_execution(manager: ManagerProcess) -> None:
    admin = client(manager)
    failed = admin.executions.list(deployment_id="db-main", workflow_id="backup")[0]
    assert failed.status == "failed"
    resumed = admin.executions.resume(failed.id)
    assert resumed.status == "pending"
    assert resumed["resume"] is True
    assert resumed.ended_at is None
    assert resumed.error == failed.error  # the old error is kept until the next end
    assert resumed.parameters == failed.parameters
    # The injected failure is permanent: the resumed run fails again at the same step.
    again = wait_status(admin, failed.id, *END_STATES)
    assert again.status == "failed"
    assert again["resume"] is True
    assert again.ended_at is not None
    events = admin.events.list(execution_id=failed.id, sort="reported_timestamp")
    assert any(e["message"] == "Resuming 'backup' workflow execution" for e in events)

    forced = admin.executions.resume(failed.id, force=True)
    assert forced.status == "pending"
    assert forced["resume"] is True
    assert wait_status(admin, failed.id, *END_STATES).status == "failed"

    # A cancelled execution can be resumed too, and then runs to its end.
    blocker = start_blocker(admin)
    admin.executions.cancel(blocker.id, force=True)
    assert wait_status(admin, blocker.id, *END_STATES).status == "cancelled"
    assert admin.executions.resume(blocker.id).status == "pending"
    assert wait_status(admin, blocker.id, "started").status == "started"
    raises(
        lambda: admin.executions.resume(blocker.id, force=True),
        CloudifyClientError,
        409,
        "conflict_error",
        f"Cannot force-resume execution: `{blocker.id}` in state: `started`",
    )
    # Plain resume is also valid from `started` (a re-send after a worker restart).
    assert admin.executions.resume(blocker.id).status == "pending"
    admin.executions.cancel(blocker.id, kill=True)
    assert wait_status(admin, blocker.id, *END_STATES).status == "cancelled"


def test_status_update_patch(manager: ManagerProcess) -> None:
    admin = client(manager)
    blocker = start_blocker(admin)
    queued = admin.executions.start("analytics", "check_status", queue=True)
    assert queued.status == "queued"
    assert admin.executions.update(blocker.id, "started").status == "started"

    ended = admin.executions.update(blocker.id, "failed", error="worker lost")
    assert ended.status == "failed"
    assert ended.error == "worker lost"
    assert ended.ended_at is not None
    # The PATCHed end is final: the engine stops and the queued execution starts.
    assert wait_status(admin, queued.id, *END_STATES).status == "terminated"
    assert admin.executions.get(blocker.id).status == "failed"
    dep = admin.deployments.get("analytics")
    assert dep.latest_execution_id == queued.id
    raises(
        lambda: admin.executions.update(blocker.id, "terminated"),
        InvalidExecutionUpdateStatus,
        400,
        "invalid_exception_status_update",
        "can't change status from failed to terminated",
    )

    # Without an error the PATCH stores "" (the real default).
    other = start_blocker(admin)
    done = admin.executions.update(other.id, "terminated")
    assert (done.status, done.error) == ("terminated", "")
    assert admin.executions.get(other.id).status == "terminated"
    # The same status again is always allowed, even from an end state.
    assert admin.executions.update(other.id, "terminated").status == "terminated"
    assert admin.executions.update(blocker.id, "failed", error="again").error == "again"


def test_unavailable_workflow_is_refused_and_stores_nothing(manager: ManagerProcess) -> None:
    admin = client(manager)
    before = execution_ids(admin)
    raises(
        lambda: admin.executions.start("analytics", "archive_old_data"),
        CloudifyClientError,
        400,
        "unavailable_workflow_error",
        "Workflow not available: archive_old_data",
    )
    # The real manager rolls the failed row back with the request's transaction.
    assert execution_ids(admin) == before

    # rotate_certificates needs every node instance started; a fresh deployment has
    # none started.
    admin.deployments.create("webapp", "web-fresh")
    raises(
        lambda: admin.executions.start(
            "web-fresh", "rotate_certificates", {"common_name": "shop.example.com"}
        ),
        CloudifyClientError,
        400,
        "unavailable_workflow_error",
        "Workflow not available: rotate_certificates",
    )
    forced = admin.executions.start(
        "web-fresh", "rotate_certificates", {"common_name": "shop.example.com"}, force=True
    )
    assert forced.status == "pending"
    assert wait_status(admin, forced.id, *END_STATES).status == "terminated"


def test_custom_parameters_and_coercion(manager: ManagerProcess) -> None:
    admin = client(manager)
    custom = admin.executions.start(
        "web-prod",
        "rolling_restart",
        {"batch_size": "3", "zzz": "extra"},
        allow_custom_parameters=True,
    )
    assert custom["allow_custom_parameters"] is True
    assert custom.parameters == {"batch_size": 3, "drain_timeout": 30, "zzz": "extra"}
    assert wait_status(admin, custom.id, *END_STATES).status == "terminated"
    backup = admin.executions.start("db-main", "backup", {"compress": "False"})
    assert backup.parameters["compress"] is False
    assert wait_status(admin, backup.id, *END_STATES).status == "failed"


def test_operator_can_operate_in_its_tenant(manager: ManagerProcess) -> None:
    operator = client(manager, "operator")
    execution = operator.executions.start("web-staging", "rolling_restart")
    assert execution.created_by == "operator"
    assert wait_status(operator, execution.id, *END_STATES).status == "terminated"
    blocker = start_blocker(operator)
    assert operator.executions.cancel(blocker.id).status == "cancelling"
    assert wait_status(operator, blocker.id, *END_STATES).status == "cancelled"
    # Another tenant's executions stay out of reach, even by id.
    eu_id = client(manager, tenant="team-eu").executions.list()[0].id
    raises(
        lambda: operator.executions.get(eu_id),
        CloudifyClientError,
        404,
        "not_found_error",
    )


# -- deployments: create and delete ------------------------------------------------------------


def test_deployment_create_and_delete(manager: ManagerProcess) -> None:
    admin = client(manager)
    created = admin.deployments.create(
        "webapp",
        "web-test",
        inputs={"replicas": 2},
        labels=[{"env": "test"}],
        display_name="Web shop (test)",
        site_name="lab",
    )
    assert created.id == "web-test"
    assert created.blueprint_id == "webapp"
    assert created.display_name == "Web shop (test)"
    assert created.site_name == "lab"
    assert created.inputs == {"image": "ubuntu-22.04", "replicas": 2}
    assert [(label.key, label.value) for label in created.labels] == [("env", "test")]
    assert created.created_by == "admin"
    assert created.installation_status == "inactive"
    assert created.deployment_status == "requires_attention"
    assert {w.name for w in created.workflows} >= {"install", "rolling_restart"}
    # Without async_create the environment is ready when the call returns.
    env = admin.executions.get(created["create_execution"])
    assert (env.workflow_id, env.status) == ("create_deployment_environment", "terminated")
    assert env.is_system_workflow is False
    assert admin.deployments.list(_search="web-test")[0].id == "web-test"

    raises(
        lambda: admin.deployments.create("webapp", "web-test"),
        CloudifyClientError,
        409,
        "conflict_error",
        "web-test",
    )
    raises(
        lambda: admin.deployments.create("webapp", "web-bad", inputs={"nosuch": 1}),
        UnknownDeploymentInputError,
        400,
        "unknown_deployment_input_error",
        "Cannot create deployment - unknown inputs: nosuch",
    )
    assert "web-bad" not in {d.id for d in admin.deployments.list()}
    raises(
        lambda: admin.deployments.create("nope", "web-bad"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Blueprint` with ID `nope` was not found",
    )

    install = admin.executions.start("web-test", "install")
    assert wait_status(admin, install.id, *END_STATES).status == "terminated"
    assert admin.deployments.get("web-test").installation_status == "active"
    live = sorted(
        e["node_instance_id"]
        for e in admin.events.list(execution_id=install.id, event_type="task_succeeded")
        if e["operation"] == "cloudify.interfaces.lifecycle.start"
    )
    assert len(live) == 3
    err = raises(
        lambda: admin.deployments.delete("web-test"),
        CloudifyClientError,
        400,
        "dependent_exists_error",
        "Can't delete deployment web-test - There are live nodes for this deployment. "
        "Live nodes ids: ",
    )
    assert sorted(err._message.rsplit(": ", 1)[1].split(",")) == live
    assert admin.deployments.delete("web-test", force=True) is None
    raises(
        lambda: admin.deployments.get("web-test"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `web-test` was not found",
    )
    assert list(admin.executions.list(deployment_id="web-test")) == []
    raises(
        lambda: admin.deployments.delete("web-test"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `web-test` was not found",
    )
    # A deployment that was never installed can go without force.
    admin.deployments.create("database", "db-scratch")
    admin.deployments.delete("db-scratch")
    assert "db-scratch" not in {d.id for d in admin.deployments.list()}


# -- executions: should-start, delete; events: create -------------------------------------------


def test_executions_delete_removes_only_ended_executions(manager: ManagerProcess) -> None:
    admin = client(manager)
    blocker = start_blocker(admin)
    staging = admin.executions.list(deployment_id="web-staging")
    assert [e.workflow_id for e in staging] == [
        "create_deployment_environment",
        "install",
        "check_status",
    ]
    # keep_last counts every ended execution, but the deployment's only environment
    # creation is never deleted: with 3 ended and keep_last=1, the real server deletes
    # the 2 oldest deletable ones and keeps the environment creation alone.
    assert admin.executions.delete(keep_last=1, deployment_id="web-staging") == 2
    remaining = [e.workflow_id for e in admin.executions.list(deployment_id="web-staging")]
    assert remaining == ["create_deployment_environment"]
    assert list(admin.events.list(execution_id=staging[1].id, include_logs=True)) == []

    cutoff = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    deleted = admin.executions.delete(to_datetime=cutoff, deployment_id="analytics")
    assert deleted == 1  # analytics' install; not the running reindex nor the env creation
    assert [e.id for e in admin.executions.list(deployment_id="analytics")][-1] == blocker.id
    assert admin.executions.get(blocker.id).status == "started"
    raises(
        lambda: admin.executions.delete(status="started"),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "Can't filter by execution status `started`",
    )
    raises(
        lambda: client(manager, "viewer").executions.delete(),
        ForbiddenError,
        403,
        "forbidden_error",
        "execution_delete",
    )
    admin.executions.cancel(blocker.id, kill=True)
    wait_status(admin, blocker.id, *END_STATES)


def test_should_start_errors(module_manager: ManagerProcess, seeded: dict[str, Execution]) -> None:
    admin = client(module_manager)
    assert admin.executions.should_start(seeded["web-prod/install"].id) is True
    assert (
        client(module_manager, "viewer").executions.should_start(seeded["web-prod/install"].id)
        is True
    )
    raises(
        lambda: admin.executions.should_start("nope"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Execution` with ID `nope` was not found",
    )


def test_events_create(manager: ManagerProcess) -> None:
    admin = client(manager)
    execution = admin.executions.list(deployment_id="db-main", workflow_id="install")[0]
    instance = next(
        e["node_instance_id"]
        for e in admin.events.list(execution_id=execution.id)
        if e["node_name"] == "postgres"
    )
    before = admin.events.list(execution_id=execution.id, include_logs=True)
    assert (
        admin.events.create(
            events=[
                {
                    "event_type": "workflow_node_event",
                    "message": {"text": "posted event"},
                    "context": {"node_id": instance, "operation": None},
                }
            ],
            logs=[
                {
                    "logger": "ctx.test",
                    "level": "warning",
                    "message": {"text": "posted\x00log"},
                    "context": {"node_id": instance, "operation": "op.x"},
                }
            ],
            execution_id=execution.id,
            manager_name="elsewhere",
        )
        is None
    )
    after = admin.events.list(execution_id=execution.id, include_logs=True, sort="_storage_id")
    assert len(after) == len(before) + 2
    posted = {e["message"]: e for e in after if e["message"].startswith("posted")}
    event, log = posted["posted event"], posted["posted<NUL>log"]
    assert event["type"] == "cloudify_event" and event["event_type"] == "workflow_node_event"
    assert log["type"] == "cloudify_log" and (log["level"], log["logger"]) == (
        "warning",
        "ctx.test",
    )
    for item in (event, log):
        assert set(item) >= CLI_EVENT_KEYS
        assert item["node_instance_id"] == instance
        assert item["node_name"] == "postgres"
        assert item["deployment_id"] == "db-main"
        assert item["workflow_id"] == "install"
        assert item["manager_name"] == "elsewhere"
    assert log["operation"] == "op.x"
    # Nothing to store is a 204, which the client accepts too.
    assert admin.events.create(events=[], logs=[], execution_id=execution.id) is None
    raises(
        lambda: admin.events.create(events=[], logs=[], execution_id="nope"),
        CloudifyClientError,
        404,
        "not_found_error",
        "nope",
    )
    raises(
        lambda: client(manager, "viewer").events.create(
            events=[], logs=[], execution_id=execution.id
        ),
        ForbiddenError,
        403,
        "forbidden_error",
        "event_create",
    )


# -- at real speed: states that only last while an operation runs --------------------------


def test_force_cancel_from_cancelling_and_patch_rules(slow_manager: ManagerProcess) -> None:
    admin = client(slow_manager)
    blocker = admin.executions.start("analytics", "reindex")
    wait_status(admin, blocker.id, "started", timeout=10)
    assert admin.executions.cancel(blocker.id).status == "cancelling"
    # The graceful cancel waits for the running operation (18-42 s at this speed).
    raises(
        lambda: admin.executions.cancel(blocker.id),
        CloudifyClientError,
        400,
        "illegal_action_error",
        f"Can't cancel execution {blocker.id} because it's in status cancelling",
    )
    for new in ("started", "pending", "terminated", "kill_cancelling"):
        raises(
            lambda new=new: admin.executions.update(blocker.id, new),
            InvalidExecutionUpdateStatus,
            400,
            "invalid_exception_status_update",
            f"Invalid relationship - can't change status from cancelling to {new} for "
            f'"{blocker.id}" execution while running "reindex" workflow.',
        )
    assert admin.executions.update(blocker.id, "cancelling").status == "cancelling"
    forced = admin.executions.cancel(blocker.id, force=True)
    assert forced.status == "force_cancelling"
    raises(
        lambda: admin.executions.update(blocker.id, "cancelling"),
        InvalidExecutionUpdateStatus,
        400,
        "invalid_exception_status_update",
        "can't change status from force_cancelling to cancelling",
    )
    assert wait_status(admin, blocker.id, *END_STATES, timeout=10).status == "cancelled"


def test_async_create_gates_executions(crawling_manager: ManagerProcess) -> None:
    # At this speed a new execution stays `pending` for 8 s before the engine picks it
    # up; the environment's later states are set with status PATCHes, as a worker would.
    admin = client(crawling_manager)
    created = admin.deployments.create("webapp", "web-async", async_create=True)
    env_id = created["create_execution"]
    env = admin.executions.get(env_id)
    assert (env.workflow_id, env.status) == ("create_deployment_environment", "pending")
    raises(
        lambda: admin.executions.start("web-async", "install"),
        DeploymentEnvironmentCreationPendingError,
        400,
        "deployment_environment_creation_pending_error",
        "Deployment environment creation is still pending, try again in a minute",
    )
    assert admin.executions.update(env_id, "started").status == "started"
    raises(
        lambda: admin.executions.start("web-async", "install"),
        DeploymentEnvironmentCreationInProgressError,
        400,
        "deployment_environment_creation_in_progress_error",
        "Deployment environment creation is still in progress, try again in a minute",
    )
    assert admin.executions.cancel(env_id, force=True).status == "force_cancelling"
    for status in ("force_cancelling", "cancelled"):
        if status == "cancelled":  # what the worker reports once it stopped
            assert admin.executions.update(env_id, "cancelled").status == "cancelled"
        raises(
            lambda: admin.executions.start("web-async", "install"),
            CloudifyClientError,
            400,
            "deployment_creation_error",
            "Can't launch executions since the environment creation for deployment "
            f"web-async has been cancelled [status={status}]",
        )

    failing = admin.deployments.create("webapp", "web-broken", async_create=True)
    admin.executions.update(
        failing["create_execution"],
        "failed",
        error="Traceback (most recent call last):\n  ...\nRuntimeError: no plugin",
    )
    raises(
        lambda: admin.executions.start("web-broken", "install"),
        CloudifyClientError,
        400,
        "deployment_creation_error",
        "Can't launch executions since environment creation for deployment web-broken has "
        "failed: RuntimeError: no plugin",
    )

    killed = admin.deployments.create("webapp", "web-killed", async_create=True)
    admin.executions.update(killed["create_execution"], "kill_cancelling")
    raises(
        lambda: admin.executions.start("web-killed", "install"),
        CloudifyClientError,
        400,
        "deployment_creation_error",
        "Unexpected deployment status for deployment web-killed [status=kill_cancelling]",
    )
