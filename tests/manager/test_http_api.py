"""The embedded manager over plain HTTP: auth, tenants, content type, list semantics,
error bodies. Expectations come from the real manager's contract
(`shared/reference/cloudify-rest-api.md`)."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.conftest import admin_client
from tests.manager_process import DEMO_DEPLOYMENTS, PASSWORDS, ManagerProcess


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def headers(user: str = "admin", tenant: str | None = "default_tenant") -> dict[str, str]:
    result = {"Authorization": basic(user, PASSWORDS[user]), "Content-Type": "application/json"}
    if tenant is not None:
        result["Tenant"] = tenant
    return result


def assert_error(response: httpx.Response, status: int, code: str, message: str = "") -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    assert message in body["message"], body
    return body


@pytest.fixture(scope="module")
def http(module_manager: ManagerProcess) -> httpx.Client:
    with admin_client(module_manager) as client:
        yield client


# -- authentication and tenancy ----------------------------------------------------------


def test_ok_needs_no_auth_and_version_needs_auth(module_manager: ManagerProcess) -> None:
    assert httpx.get(module_manager.api + "/ok").json() == "OK"
    body = assert_error(
        httpx.get(module_manager.url + "/api/version"),
        401,
        "unauthorized_error",
        "User unauthorized: No authentication info provided",
    )
    assert body["server_traceback"] is None
    version = httpx.get(module_manager.url + "/api/version", headers=headers(tenant=None))
    assert version.status_code == 200
    assert version.json()["version"] == "7.0.4"
    assert {"edition", "distribution", "distro_release", "build", "date", "commit"} <= set(
        version.json()
    )


def test_wrong_password_is_401_naming_the_user(module_manager: ManagerProcess) -> None:
    response = httpx.get(
        module_manager.api + "/status",
        headers={"Authorization": basic("admin", "nope"), "Content-Type": "application/json"},
    )
    assert_error(
        response,
        401,
        "unauthorized_error",
        "User unauthorized: Authentication failed for <User username=`admin`>. "
        "Wrong credentials or locked account",
    )
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("garbage", "User unauthorized: Invalid token structure"),
        ("ctok-abcdefghij-" + "x" * 40, "User unauthorized: Unauthorized"),
    ],
)
def test_bad_tokens_are_401(module_manager: ManagerProcess, token: str, message: str) -> None:
    response = httpx.get(
        module_manager.api + "/status",
        headers={"Authentication-Token": token, "Content-Type": "application/json"},
    )
    assert_error(response, 401, "unauthorized_error", message)


def test_token_lifecycle(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    created = httpx.post(
        api + "/tokens", headers=headers(tenant=None), json={"description": "ci token"}
    )
    assert created.status_code == 200
    token = created.json()
    assert token["value"].startswith(f"ctok-{token['id']}-") and "*" not in token["value"]
    assert token["username"] == "admin" and token["expiration_date"] is None

    by_token = {
        "Authentication-Token": token["value"],
        "Tenant": "default_tenant",
        "Content-Type": "application/json",
    }
    assert httpx.get(api + "/deployments", headers=by_token).status_code == 200

    listed = httpx.get(api + "/tokens", headers=headers(tenant=None)).json()
    mine = [t for t in listed["items"] if t["id"] == token["id"]]
    assert mine and mine[0]["value"] == f"ctok-{token['id']}-********"
    assert "pagination" in listed["metadata"]
    got = httpx.get(api + f"/tokens/{token['id']}", headers=headers(tenant=None)).json()
    assert got["value"].endswith("********") and got["last_used"] is not None

    deleted = httpx.delete(api + f"/tokens/{token['id']}", headers=headers(tenant=None))
    assert deleted.status_code == 204
    assert_error(httpx.get(api + "/status", headers=by_token), 401, "unauthorized_error")
    assert_error(
        httpx.get(api + f"/tokens/{token['id']}", headers=headers(tenant=None)),
        404,
        "not_found_error",
    )


def test_token_expiry_in_the_past_is_rejected(module_manager: ManagerProcess) -> None:
    response = httpx.post(
        module_manager.api + "/tokens",
        headers=headers(tenant=None),
        json={"expiration_date": "2001-01-01T00:00:00Z"},
    )
    assert_error(response, 400, "bad_parameters_error")


def test_viewer_cannot_see_another_users_token(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    token = httpx.post(api + "/tokens", headers=headers(tenant=None), json={}).json()
    viewer = headers("viewer", tenant=None)
    assert_error(httpx.get(api + f"/tokens/{token['id']}", headers=viewer), 404, "not_found_error")
    ids = [t["id"] for t in httpx.get(api + "/tokens", headers=viewer).json()["items"]]
    assert token["id"] not in ids


def test_tenant_header_is_required_and_checked(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    assert_error(
        httpx.get(api + "/deployments", headers=headers(tenant=None)),
        403,
        "forbidden_error",
        "Authorization failed: tenant not provided",
    )
    assert_error(
        httpx.get(api + "/deployments", headers=headers(tenant="nope")),
        403,
        "forbidden_error",
        "Authorization failed: Tried to authenticate with invalid tenant name: nope",
    )
    # The operator belongs to default_tenant only.
    assert_error(
        httpx.get(api + "/deployments", headers=headers("operator", tenant="team-eu")),
        403,
        "forbidden_error",
        "invalid tenant name: team-eu",
    )


def test_tenants_are_isolated(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    default_ids = {
        d["id"] for d in httpx.get(api + "/deployments", headers=headers()).json()["items"]
    }
    eu_ids = {
        d["id"]
        for d in httpx.get(api + "/deployments", headers=headers(tenant="team-eu")).json()["items"]
    }
    assert default_ids == set(DEMO_DEPLOYMENTS)
    assert eu_ids == {"web-eu", "db-eu"}
    assert_error(httpx.get(api + "/deployments/web-eu", headers=headers()), 404, "not_found_error")
    eu_exec = httpx.get(
        api + "/executions", params={"deployment_id": "web-eu"}, headers=headers(tenant="team-eu")
    ).json()["items"][0]["id"]
    assert_error(
        httpx.get(api + f"/executions/{eu_exec}", headers=headers()), 404, "not_found_error"
    )
    events = httpx.get(api + "/events", params={"execution_id": eu_exec}, headers=headers()).json()
    assert events["items"] == [] and events["metadata"]["pagination"]["total"] == 0
    everything = httpx.get(
        api + "/deployments", params={"_all_tenants": "true"}, headers=headers()
    ).json()
    assert {d["id"] for d in everything["items"]} == default_ids | eu_ids


def test_viewer_may_read_but_not_start_or_cancel(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    viewer = headers("viewer")
    assert httpx.get(api + "/deployments", headers=viewer).status_code == 200
    assert httpx.get(api + "/executions", headers=viewer).status_code == 200
    assert httpx.get(api + "/events", headers=viewer).status_code == 200
    assert_error(
        httpx.post(
            api + "/executions",
            headers=viewer,
            json={"deployment_id": "web-prod", "workflow_id": "check_status"},
        ),
        403,
        "forbidden_error",
        "User `viewer` is not permitted to perform the action execution_start in the tenant "
        "`default_tenant`",
    )
    some = httpx.get(api + "/executions", headers=viewer).json()["items"][0]["id"]
    assert_error(
        httpx.post(api + f"/executions/{some}", headers=viewer, json={"action": "cancel"}),
        403,
        "forbidden_error",
        "execution_cancel",
    )


# -- content type and error bodies --------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "text/plain", None])
def test_json_bodies_need_the_exact_content_type(
    module_manager: ManagerProcess, content_type: str | None
) -> None:
    h = headers()
    if content_type is None:
        del h["Content-Type"]
    else:
        h["Content-Type"] = content_type
    response = httpx.post(
        module_manager.api + "/executions",
        headers=h,
        content=b'{"deployment_id": "web-prod", "workflow_id": "check_status"}',
    )
    assert_error(
        response, 415, "unsupported_content_type_error", "Content type must be application/json"
    )


def test_unknown_routes_and_methods_answer_json(http: httpx.Client) -> None:
    assert_error(http.get("/nosuch"), 404, "not_found_error")
    assert_error(http.delete("/executions/x/y"), 404, "not_found_error")
    body = assert_error(http.put("/executions"), 405, "method_not_allowed_error")
    assert set(body) == {"message", "error_code", "server_traceback"}


def test_bad_json_and_oversized_bodies(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    assert_error(
        httpx.post(api + "/executions", headers=headers(), content=b"{not json"),
        400,
        "bad_parameters_error",
    )
    huge = b'{"deployment_id": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = httpx.post(api + "/executions", headers=headers(), content=huge)
    assert response.status_code == 413
    assert response.json()["error_code"] == "payload_too_large_error"


def test_not_found_messages(http: httpx.Client) -> None:
    assert_error(
        http.get("/deployments/nosuch"),
        404,
        "not_found_error",
        "Requested `Deployment` with ID `nosuch` was not found",
    )
    assert_error(
        http.get("/executions/nosuch"),
        404,
        "not_found_error",
        "Requested `Execution` with ID `nosuch` was not found",
    )
    assert_error(
        http.post("/executions/nosuch", json={"action": "cancel"}),
        404,
        "not_found_error",
        "Requested `Execution` ['nosuch'] was not found",
    )


# -- list semantics -----------------------------------------------------------------------


def test_envelope_and_pagination(http: httpx.Client) -> None:
    body = http.get("/deployments", params={"_size": 2, "_offset": 1}).json()
    assert len(body["items"]) == 2
    assert body["metadata"] == {
        "pagination": {"total": 6, "size": 2, "offset": 1},
        "filtered": None,
    }
    default = http.get("/deployments").json()["metadata"]["pagination"]
    assert default["size"] == 1000 and default["offset"] == 0
    everything = http.get("/deployments", params={"_size": 1, "_get_all_results": "true"}).json()
    assert len(everything["items"]) == 6
    assert everything["metadata"]["pagination"]["size"] == 1
    beyond = http.get("/deployments", params={"_offset": 50}).json()
    assert beyond["items"] == [] and beyond["metadata"]["pagination"]["total"] == 6


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_bad_page_size_is_a_validation_error_without_traceback_key(
    http: httpx.Client, value: str
) -> None:
    body = assert_error(
        http.get("/deployments", params={"_size": value}),
        400,
        "bad_parameters_error",
        "validation error for Pagination",
    )
    assert "server_traceback" not in body


def test_default_order_is_created_at_and_sort_is_repeatable(http: httpx.Client) -> None:
    items = http.get("/deployments").json()["items"]
    stamps = [d["created_at"] for d in items]
    assert stamps == sorted(stamps)
    by_id = [d["id"] for d in http.get("/deployments", params={"_sort": "id"}).json()["items"]]
    assert by_id == sorted(by_id)
    desc = [d["id"] for d in http.get("/deployments", params={"_sort": "-id"}).json()["items"]]
    assert desc == sorted(by_id, reverse=True)
    two = http.get("/deployments", params=[("_sort", "blueprint_id"), ("_sort", "-id")]).json()[
        "items"
    ]
    keys = [(d["blueprint_id"], d["id"]) for d in two]
    assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]))


def test_unknown_sort_filter_and_include_keys_are_rejected(http: httpx.Client) -> None:
    assert_error(
        http.get("/deployments", params={"_sort": "nosuch"}),
        400,
        "bad_parameters_error",
        "Sort keys '['nosuch']' do not exist. Allowed keys are: [",
    )
    assert_error(
        http.get("/deployments", params={"nosuch": "x"}),
        400,
        "bad_parameters_error",
        "Filter keys '['nosuch']' do not exist. Allowed keys are: [",
    )
    assert_error(
        http.get("/executions", params={"_include": "id,nosuch"}),
        400,
        "no_such_include_field_error",
        "Include keys '['nosuch']' do not exist",
    )
    # The v1 spelling without the underscore is an unknown filter in v3.1.
    assert_error(
        http.get("/executions", params={"include_system_workflows": "true"}),
        400,
        "bad_parameters_error",
        "Filter keys",
    )


def test_include_projects_fields(http: httpx.Client) -> None:
    items = http.get("/deployments", params={"_include": "id,latest_execution_status"}).json()[
        "items"
    ]
    assert all(set(d) == {"id", "latest_execution_status"} for d in items)


def test_filters_are_exact_and_repeated_keys_mean_in(http: httpx.Client) -> None:
    db = http.get("/deployments", params={"blueprint_id": "database"}).json()["items"]
    assert {d["id"] for d in db} == {"db-main", "db-replica"}
    both = http.get(
        "/deployments", params=[("blueprint_id", "database"), ("blueprint_id", "analytics")]
    ).json()["items"]
    assert {d["id"] for d in both} == {"db-main", "db-replica", "analytics"}
    assert http.get("/deployments", params={"blueprint_id": "data"}).json()["items"] == []
    failed = http.get("/executions", params={"status": "failed"}).json()["items"]
    assert failed and all(e["status"] == "failed" for e in failed)


def test_search_is_a_case_insensitive_substring_of_the_id(http: httpx.Client) -> None:
    found = http.get("/deployments", params={"_search": "WEB"}).json()
    assert {d["id"] for d in found["items"]} == {"web-prod", "web-staging", "web-canary"}
    assert found["metadata"]["pagination"]["total"] == 3
    named = http.get("/deployments", params={"_search_name": "database"}).json()["items"]
    assert {d["id"] for d in named} == {"db-main"}


def test_system_workflows_are_hidden_unless_asked(http: httpx.Client) -> None:
    plain = http.get("/executions", params={"_include_system_workflows": "false"}).json()
    with_system = http.get("/executions", params={"_include_system_workflows": "true"}).json()
    # create_deployment_environment is not a system workflow: it shows in default lists.
    assert any(e["workflow_id"] == "create_deployment_environment" for e in plain["items"])
    assert (
        with_system["metadata"]["pagination"]["total"] >= plain["metadata"]["pagination"]["total"]
    )


def test_newest_first_idiom(http: httpx.Client) -> None:
    items = http.get(
        "/executions", params={"deployment_id": "web-prod", "_sort": "-created_at", "_size": 2}
    ).json()["items"]
    assert [e["workflow_id"] for e in items] == ["rolling_restart", "install"]


def test_events_list_semantics(http: httpx.Client) -> None:
    install = http.get(
        "/executions", params={"deployment_id": "web-prod", "workflow_id": "install"}
    ).json()["items"][0]
    page = http.get(
        "/events",
        params=[
            ("execution_id", install["id"]),
            ("type", "cloudify_event"),
            ("type", "cloudify_log"),
            ("_sort", "reported_timestamp"),
            ("_offset", "0"),
            ("_size", "5"),
        ],
    ).json()
    assert set(page["metadata"]) == {"pagination"}
    total = page["metadata"]["pagination"]["total"]
    assert len(page["items"]) == 5 and total > 5
    needed = {
        "deployment_id",
        "execution_id",
        "node_name",
        "operation",
        "workflow_id",
        "node_instance_id",
        "message",
        "error_causes",
        "type",
        "timestamp",
        "reported_timestamp",
        "source_id",
        "target_id",
    }
    for item in page["items"]:
        assert needed <= set(item)
        if item["type"] == "cloudify_log":
            assert isinstance(item["level"], str)
    everything = http.get(
        "/events", params={"execution_id": install["id"], "_sort": "reported_timestamp"}
    ).json()["items"]
    assert everything[0]["event_type"] == "workflow_started"
    assert everything[-1]["event_type"] == "workflow_succeeded"
    stamps = [e["reported_timestamp"] for e in everything]
    assert stamps == sorted(stamps)
    # Pages are stable: reading by offset gives the whole list exactly once.
    paged = []
    for offset in range(0, total, 7):
        paged += http.get(
            "/events",
            params={
                "execution_id": install["id"],
                "_sort": "reported_timestamp",
                "_offset": offset,
                "_size": 7,
            },
        ).json()["items"]
    assert paged == everything
    only_events = http.get(
        "/events", params={"execution_id": install["id"], "type": "cloudify_event"}
    ).json()["items"]
    assert only_events and all(e["type"] == "cloudify_event" for e in only_events)
    tasks = http.get(
        "/events", params={"execution_id": install["id"], "message": "%task started%"}
    ).json()["items"]
    assert tasks and all("Task started" in e["message"] for e in tasks)
    assert_error(
        http.get("/events", params={"nosuch": "1"}),
        400,
        "bad_parameters_error",
        "Unknown field to filter by: nosuch",
    )
    assert_error(
        http.get("/events", params={"_sort": "nosuch"}),
        400,
        "bad_parameters_error",
        "Unknown field to sort by: nosuch",
    )


def test_events_range_filter(http: httpx.Client) -> None:
    install = http.get(
        "/executions", params={"deployment_id": "web-prod", "workflow_id": "install"}
    ).json()["items"][0]
    everything = http.get("/events", params={"execution_id": install["id"]}).json()["items"]
    middle = everything[len(everything) // 2]["timestamp"]
    later = http.get(
        "/events",
        params={"execution_id": install["id"], "_range": f"@timestamp,{middle},"},
    ).json()["items"]
    assert later and all(e["timestamp"] >= middle for e in later)
    assert len(later) < len(everything)


def test_deployment_object_has_the_real_fields(http: httpx.Client) -> None:
    dep = http.get("/deployments/web-prod").json()
    for key in (
        "id",
        "display_name",
        "blueprint_id",
        "created_at",
        "updated_at",
        "created_by",
        "tenant_name",
        "visibility",
        "workflows",
        "labels",
        "installation_status",
        "deployment_status",
        "latest_execution",
        "latest_execution_status",
        "latest_execution_workflow_id",
        "latest_execution_total_operations",
        "latest_execution_finished_operations",
        "create_execution",
        "inputs_p",
        "workflows_p",
        "site_name",
        "environment_type",
    ):
        assert key in dep, key
    assert dep["labels"][0]["key"] == "env" and dep["labels"][0]["value"] == "prod"
    assert dep["latest_execution_status"] == "completed"
    assert dep["installation_status"] == "active" and dep["deployment_status"] == "good"
    workflows = {w["name"]: w for w in dep["workflows"]}
    assert {"install", "uninstall", "scale", "heal", "rolling_restart"} <= set(workflows)
    assert workflows["install"]["is_available"] is False
    assert workflows["uninstall"]["is_available"] is True
    assert workflows["install"]["plugin"] == "default_workflows"
    assert workflows["install"]["operation"] == "cloudify.plugins.workflows.install"
    assert workflows["rolling_restart"]["parameters"]["batch_size"] == {
        "type": "integer",
        "default": 1,
        "description": "How many instances restart at once.",
    }
    replica = http.get("/deployments/db-replica").json()
    assert replica["deployment_status"] == "requires_attention"
    assert replica["installation_status"] == "inactive"


def test_workflows_endpoint_lists_the_union(http: httpx.Client) -> None:
    body = http.get("/workflows", params={"id": "analytics"}).json()
    names = {w["name"] for w in body["items"]}
    assert {"reindex", "archive_old_data", "install"} <= names
    assert "filtered" not in body["metadata"]
    archive = next(w for w in body["items"] if w["name"] == "archive_old_data")
    assert archive["is_available"] is False


def test_manager_endpoints_for_profiles_use(http: httpx.Client) -> None:
    host = "127.0.0.1"
    assert http.get("/provider/context").json()["context"] == {"cloudify": {"cloudify_agent": {}}}
    managers = http.get("/managers").json()["items"]
    brokers = http.get("/brokers").json()["items"]
    db_nodes = http.get("/db-nodes").json()["items"]
    assert len(managers) == len(brokers) == len(db_nodes) == 1
    assert managers[0]["private_ip"] == brokers[0]["host"] == db_nodes[0]["host"] == host
    status = http.get("/status").json()
    assert status["status"] == "OK"
    assert all(s["status"] == "Active" for s in status["services"].values())
    assert http.get("/status", params={"summary": "true"}).json()["services"] == {}
    assert http.get("/maintenance").json()["status"] == "deactivated"
