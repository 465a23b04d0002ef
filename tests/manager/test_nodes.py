"""Nodes, node instances, their summary and a deployment's outputs and capabilities,
over HTTP and through the official client. The key lists, orders, error codes and
messages were read from the real 7.0.4 service (`shared/realmanager`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import CloudifyClientError

from tests.conftest import admin_client
from tests.manager_process import PASSWORDS, ManagerProcess

# The real keys, in the real order (`models.NodeInstance`, `models.Node`).
INSTANCE_KEYS = [
    "id",
    "visibility",
    "host_id",
    "index",
    "relationships_p",
    "relationships",
    "runtime_properties_p",
    "runtime_properties",
    "system_properties",
    "scaling_groups_p",
    "scaling_groups",
    "state",
    "version",
    "has_configuration_drift",
    "is_status_check_ok",
    "node_id",
    "deployment_id",
    "tenant_name",
    "created_by",
    "resource_availability",
    "private_resource",
]
NODE_FILTER_KEYS = [
    "id",
    "visibility",
    "deploy_number_of_instances",
    "host_id",
    "max_number_of_instances",
    "min_number_of_instances",
    "number_of_instances",
    "planned_number_of_instances",
    "plugins_p",
    "plugins",
    "plugins_to_install_p",
    "plugins_to_install",
    "properties_p",
    "properties",
    "relationships_p",
    "relationships",
    "operations_p",
    "operations",
    "type",
    "type_hierarchy_p",
    "type_hierarchy",
    "drifted_instances",
    "unavailable_instances",
    "actual_number_of_instances",
    "deployment_id",
    "blueprint_id",
    "deployment_display_name",
    "tenant_name",
    "created_by",
    "resource_availability",
    "private_resource",
]
NODE_KEYS = [*NODE_FILTER_KEYS, "actual_planned_number_of_instances"]


@pytest.fixture(scope="module")
def http(module_manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(module_manager) as client:
        yield client


@pytest.fixture(scope="module")
def official(module_manager: ManagerProcess) -> CloudifyClient:
    return CloudifyClient(
        host="127.0.0.1",
        port=module_manager.port,
        username="admin",
        password=PASSWORDS["admin"],
        tenant="default_tenant",
    )


def items(http: httpx.Client, url: str, **params: object) -> list[dict]:
    response = http.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code, response.text
    return response.json()["message"]


# -- node instances ---------------------------------------------------------------------


def test_node_instances_have_the_real_keys_hosts_and_relationships(http: httpx.Client) -> None:
    vm, nginx, app = items(http, "/node-instances", deployment_id="web-prod")
    assert list(vm) == INSTANCE_KEYS
    assert [vm["node_id"], nginx["node_id"], app["node_id"]] == ["vm", "nginx", "app"]
    assert vm["id"].startswith("vm_") and len(vm["id"]) == len("vm_") + 6
    assert {i["host_id"] for i in (vm, nginx, app)} == {vm["id"]}  # contained in the vm
    assert nginx["relationships"] == [
        {"type": "cloudify.relationships.contained_in", "target_name": "vm", "target_id": vm["id"]}
    ]
    assert vm["index"] == 1 and vm["state"] == "started"
    assert vm["runtime_properties"]["ip"].startswith("10.0.")
    assert nginx["runtime_properties"] == {}
    assert (vm["tenant_name"], vm["created_by"], vm["visibility"]) == (
        "default_tenant",
        "admin",
        "tenant",
    )
    assert vm["scaling_groups"] == [] and vm["system_properties"] is None
    # every state change and property update moved the version on
    assert vm["version"] > nginx["version"] > 1


def test_node_instance_ids_are_unique_across_deployments(http: httpx.Client) -> None:
    ids = [i["id"] for i in items(http, "/node-instances", _get_all_results="true")]
    assert len(ids) == len(set(ids))
    db = items(http, "/node-instances", deployment_id="db-replica")
    assert {i["state"] for i in db} == {"uninitialized"}
    assert all(i["runtime_properties"] == {} for i in db)


def test_half_installed_deployment_is_left_as_its_failed_install_left_it(
    http: httpx.Client,
) -> None:
    states = {
        i["node_id"]: i["state"] for i in items(http, "/node-instances", deployment_id="web-canary")
    }
    assert states == {"vm": "started", "nginx": "started", "app": "creating"}
    dep = http.get("/deployments/web-canary").json()
    assert (dep["deployment_status"], dep["latest_execution_status"]) == (
        "requires_attention",
        "failed",
    )
    assert dep["installation_status"] == "inactive"
    install = http.get(
        "/executions", params={"deployment_id": "web-canary", "workflow_id": "install"}
    )
    (failed,) = install.json()["items"]
    assert failed["status"] == "failed" and "HTTP 503" in failed["error"]


def test_node_instance_filters_include_sort_search_and_paging(http: httpx.Client) -> None:
    started = items(http, "/node-instances", deployment_id="web-canary", state="started")
    assert {i["node_id"] for i in started} == {"vm", "nginx"}
    two = items(http, "/node-instances", node_id=["vm", "db_vm"], _include="id,node_id")
    assert all(set(i) == {"id", "node_id"} for i in two)
    assert {i["node_id"] for i in two} == {"vm", "db_vm"}
    ids = [i["id"] for i in items(http, "/node-instances", _sort="-id", _include="id")]
    assert ids == sorted(ids, reverse=True)
    found = items(http, "/node-instances", _search="NGINX", _include="id")
    assert found and all(i["id"].startswith("nginx_") for i in found)
    body = http.get("/node-instances", params={"_size": 2, "_offset": 1}).json()
    assert len(body["items"]) == 2
    total = len(items(http, "/node-instances"))
    assert body["metadata"] == {
        "pagination": {"total": total, "size": 2, "offset": 1},
        "filtered": None,
    }
    one = items(http, "/node-instances", id=started[0]["id"])
    assert [i["id"] for i in one] == [started[0]["id"]]


def test_node_instance_errors_are_the_real_ones(http: httpx.Client) -> None:
    message = error(http.get("/node-instances/nope_123456"), 404, "not_found_error")
    assert message == "Requested `NodeInstance` with ID `nope_123456` was not found"
    message = error(http.get("/node-instances", params={"bogus": 1}), 400, "bad_parameters_error")
    assert message == f"Filter keys '['bogus']' do not exist. Allowed keys are: {INSTANCE_KEYS}"
    message = error(
        http.get("/node-instances", params={"_include": "id,bogus"}),
        400,
        "no_such_include_field_error",
    )
    assert message == f"Include keys '['bogus']' do not exist. Allowed keys are: {INSTANCE_KEYS}"
    message = error(
        http.get("/node-instances", params={"_sort": "bogus"}), 400, "bad_parameters_error"
    )
    assert message == f"Sort keys '['bogus']' do not exist. Allowed keys are: {INSTANCE_KEYS}"
    # another tenant's instance is not found
    eu = items(http, "/node-instances", _all_tenants="true", deployment_id="web-eu")
    assert eu and error(http.get(f"/node-instances/{eu[0]['id']}"), 404, "not_found_error")


def test_node_instance_get_with_include(http: httpx.Client) -> None:
    (vm,) = items(http, "/node-instances", deployment_id="web-prod", node_id="vm")
    got = http.get(f"/node-instances/{vm['id']}").json()
    assert got == vm
    small = http.get(f"/node-instances/{vm['id']}", params={"_include": "id,state"}).json()
    assert small == {"id": vm["id"], "state": "started"}


# -- nodes ----------------------------------------------------------------------------------


def test_nodes_have_the_real_keys_and_counts(http: httpx.Client) -> None:
    analytics = {n["id"]: n for n in items(http, "/nodes", deployment_id="analytics")}
    worker = analytics["worker"]
    assert list(worker) == NODE_KEYS
    assert (worker["deploy_number_of_instances"], worker["number_of_instances"]) == (2, 2)
    assert worker["actual_number_of_instances"] == worker["planned_number_of_instances"] == 2
    assert (worker["min_number_of_instances"], worker["max_number_of_instances"]) == (0, -1)
    assert worker["host_id"] == "worker" and analytics["indexer"]["host_id"] == "worker"
    assert worker["type"] == "cloudify.nodes.Compute"
    assert worker["type_hierarchy"] == ["cloudify.nodes.Root", "cloudify.nodes.Compute"]
    # no status check has passed: the real manager counts every instance unavailable
    assert worker["unavailable_instances"] == 2 and worker["drifted_instances"] == 0
    assert (worker["deployment_id"], worker["blueprint_id"]) == ("analytics", "analytics")
    assert worker["deployment_display_name"] == "Analytics workers"
    assert worker["actual_planned_number_of_instances"] == 0
    (rel,) = analytics["indexer"]["relationships"]
    assert (rel["target_id"], rel["type"]) == ("worker", "cloudify.relationships.contained_in")
    assert rel["type_hierarchy"] == [
        "cloudify.relationships.depends_on",
        "cloudify.relationships.contained_in",
    ]
    web = {n["id"]: n for n in items(http, "/nodes", deployment_id="web-prod")}
    assert web["nginx"]["properties"] == {"port": 8080}
    create = web["vm"]["operations"]["cloudify.interfaces.lifecycle.create"]
    assert (create["plugin"], create["operation"]) == ("terraform", "tasks.apply")
    assert web["vm"]["operations"]["create"] == create


def test_nodes_filters_sort_include_paging_and_errors(http: httpx.Client) -> None:
    assert items(http, "/nodes", deployment_id="nope") == []
    one = items(http, "/nodes", deployment_id="web-prod", id="nginx", _include="id,deployment_id")
    assert one == [{"id": "nginx", "deployment_id": "web-prod"}]
    computes = items(http, "/nodes", type="cloudify.nodes.Compute", _include="id")
    assert {n["id"] for n in computes} == {"vm", "db_vm", "worker"}
    body = http.get(
        "/nodes", params={"_sort": "-id", "_include": "id,deployment_id", "_size": 2}
    ).json()
    assert [n["id"] for n in body["items"]] == ["worker", "vm"]
    assert body["metadata"]["pagination"]["size"] == 2
    message = error(http.get("/nodes", params={"bogus": 1}), 400, "bad_parameters_error")
    assert message == f"Filter keys '['bogus']' do not exist. Allowed keys are: {NODE_FILTER_KEYS}"
    message = error(
        http.get("/nodes", params={"_include": "bogus"}), 400, "no_such_include_field_error"
    )
    assert message == f"Include keys '['bogus']' do not exist. Allowed keys are: {NODE_KEYS}"


# -- summary -------------------------------------------------------------------------------


def test_node_instance_summary(http: httpx.Client) -> None:
    body = http.get(
        "/summary/node_instances",
        params={"_target_field": "state", "deployment_id": "web-canary"},
    ).json()
    assert body == {
        "items": [
            {"state": "creating", "node_instances": 1},
            {"state": "started", "node_instances": 2},
        ],
        "metadata": {"pagination": {"total": 2, "size": 1000, "offset": 0}},
    }
    nested = http.get(
        "/summary/node_instances",
        params={"_target_field": "deployment_id", "_sub_field": "state", "_size": 2},
    ).json()
    assert nested["items"][0] == {
        "deployment_id": "analytics",
        "node_instances": 3,
        "by state": [{"state": "started", "node_instances": 3}],
    }
    missing = error(http.get("/summary/node_instances"), 400, "bad_parameters_error")
    assert missing == (
        "1 validation error for SummaryRequest\n_target_field\n  field required "
        "(type=value_error.missing)"
    )
    bad = http.get("/summary/node_instances", params={"_target_field": "bogus"})
    assert error(bad, 400, "bad_parameters_error") == (
        "1 validation error for SummaryRequest\n_target_field\n  Invalid summary field: bogus. "
        "Allowed values: deployment_id, index, node_id, state, host_id, tenant_name, "
        "visibility (type=value_error)"
    )
    assert "server_traceback" not in bad.json()


# -- outputs and capabilities ----------------------------------------------------------------


def _ip(http: httpx.Client, deployment: str, node: str) -> str:
    (instance,) = items(http, "/node-instances", deployment_id=deployment, node_id=node)
    return str(instance["runtime_properties"]["ip"])


def test_outputs_and_capabilities_are_evaluated(http: httpx.Client) -> None:
    ip = _ip(http, "web-prod", "vm")
    assert http.get("/deployments/web-prod/outputs").json() == {
        "deployment_id": "web-prod",
        "outputs": {"endpoint": f"http://{ip}:8080", "image": "ubuntu-22.04"},
    }
    assert http.get("/deployments/web-prod/capabilities").json() == {
        "deployment_id": "web-prod",
        "capabilities": {"url": f"http://{ip}:8080"},
    }
    db_ip = _ip(http, "db-main", "db_vm")
    assert http.get("/deployments/db-main/capabilities").json()["capabilities"] == {
        "host": db_ip,
        "port": 5432,
    }
    # never installed: no address yet, a null the concat shows as the real one does
    replica = http.get("/deployments/db-replica/outputs").json()["outputs"]
    assert replica == {"connection_url": "postgresql://None:5432/app"}
    assert http.get("/deployments/analytics/outputs").json()["outputs"] == {}
    message = error(http.get("/deployments/nope/outputs"), 404, "not_found_error")
    assert message == "Requested `Deployment` with ID `nope` was not found"
    error(http.get("/deployments/nope/capabilities"), 404, "not_found_error")


# -- the official client ------------------------------------------------------------------


def test_official_client_reads_nodes_and_instances(official: CloudifyClient) -> None:
    instances = official.node_instances.list(deployment_id="web-canary")
    assert [i.node_id for i in instances] == ["vm", "nginx", "app"]
    assert [i.state for i in instances] == ["started", "started", "creating"]
    vm = official.node_instances.get(instances[0].id)
    assert vm.runtime_properties["ip"] == instances[0].runtime_properties["ip"]
    assert vm.host_id == vm.id and vm.deployment_id == "web-canary"
    assert instances.metadata.pagination.total == 3
    nodes = official.nodes.list(deployment_id="web-canary")
    assert [n.id for n in nodes] == ["vm", "nginx", "app"]
    nginx = official.nodes.get("web-canary", "nginx")
    assert nginx.properties == {"port": 8080} and nginx.host_id == "vm"
    assert nginx.number_of_instances == 1 and nginx.blueprint_id == "webapp"
    assert official.nodes.get("web-canary", "nope") is None
    with pytest.raises(CloudifyClientError) as caught:
        official.node_instances.get("nope_000000")
    assert caught.value.status_code == 404


def test_official_client_reads_outputs_and_capabilities(official: CloudifyClient) -> None:
    outputs = official.deployments.outputs.get("web-canary")
    assert outputs.deployment_id == "web-canary"
    assert outputs.outputs["endpoint"].startswith("http://10.0.")
    capabilities = official.deployments.capabilities.get("db-main")
    assert capabilities.capabilities["port"] == 5432


def test_official_client_updates_an_instance_with_the_version_check(
    manager: ManagerProcess,
) -> None:
    client = CloudifyClient(
        host="127.0.0.1",
        port=manager.port,
        username="admin",
        password=PASSWORDS["admin"],
        tenant="default_tenant",
    )
    (app,) = client.node_instances.list(deployment_id="web-canary", node_id="app")
    updated = client.node_instances.update(
        app.id, runtime_properties={"note": "looked at"}, version=app.version
    )
    assert updated.runtime_properties == {"note": "looked at"}
    assert updated.version == app.version + 1
    with pytest.raises(CloudifyClientError) as caught:
        client.node_instances.update(app.id, state="started", version=app.version)
    assert (caught.value.status_code, caught.value.error_code) == (409, "conflict_error")
    assert str(caught.value) == "409: " + (
        f"Node instance update conflict [current version={app.version + 1}, update "
        f"version={app.version}]"
    )
    forced = client.node_instances.update(app.id, state="started", version=0, force=True)
    assert forced.state == "started" and forced.version == app.version + 2
