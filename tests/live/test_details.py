"""The deployment details and node instances screens' data, read in one go: each part
from the embedded manager, each failing on its own with the reason in its place.

A part's reason is the error's message; a manager that answers an error with an empty
message still gets a reason (the error's class) from tiny local servers that answer
so, which the embedded manager never does."""

from __future__ import annotations

import json

from tests.conftest import admin_client
from tests.local_server import LocalServer, http_answer
from tests.manager_process import ManagerProcess
from tests.wire import RecordingTransport
from tui.api import ManagerClient
from tui.api.models import NodeInstance
from tui.live.details import Details, Instances, Part, read_details, read_instances

NOT_FOUND = "Requested `Deployment` with ID `nope` was not found"


# -- Instances.by_state ------------------------------------------------------------------


def test_instances_are_counted_in_lifecycle_order_unknown_states_last_by_name() -> None:
    states = ["started", "zombie", "creating", "started", "", "limbo", "uninitialized", "zombie"]
    items = tuple(NodeInstance(f"i{n}", state=state) for n, state in enumerate(states))
    assert Instances(items, total=8).by_state() == [
        ("uninitialized", 1),
        ("creating", 1),
        ("started", 2),
        ("", 1),
        ("limbo", 1),
        ("zombie", 2),
    ]
    assert Instances().by_state() == []


def test_instances_are_complete_when_all_were_read_without_error() -> None:
    two = (NodeInstance("a"), NodeInstance("b"))
    assert Instances(two, total=2).complete
    assert not Instances(two, total=3).complete
    assert not Instances(error="down").complete


# -- read_details / read_instances against the embedded manager --------------------------


async def test_details_of_a_deployment_in_four_parts(
    recorded: tuple[ManagerClient, RecordingTransport], module_manager: ManagerProcess
) -> None:
    client, transport = recorded
    with admin_client(module_manager) as http:
        outputs = http.get("/deployments/web-prod/outputs").json()["outputs"]
        capabilities = http.get("/deployments/web-prod/capabilities").json()["capabilities"]
        listed = http.get("/node-instances", params={"deployment_id": "web-prod"}).json()
    assert outputs and capabilities  # the demo's web-prod has both

    details = await read_details(client, "web-prod", clock=lambda: 1234.5)
    assert details.deployment is not None and details.deployment.id == "web-prod"
    assert details.deployment.blueprint_id == "webapp"
    assert (details.deployment_id, details.error, details.read_at) == ("web-prod", "", 1234.5)
    assert details.outputs == Part(outputs)
    assert details.capabilities == Part(capabilities)
    assert details.outputs.ok and details.capabilities.ok
    instances = details.instances
    assert sorted(i.id for i in instances.items) == sorted(i["id"] for i in listed["items"])
    assert (instances.total, instances.error) == (3, "")
    assert instances.complete and instances.by_state() == [("started", 3)]

    paths = sorted(path for _, path, _ in transport.sent())
    assert paths == [
        "/api/v3.1/deployments/web-prod",
        "/api/v3.1/deployments/web-prod/capabilities",
        "/api/v3.1/deployments/web-prod/outputs",
        "/api/v3.1/node-instances",
    ]


async def test_instances_are_read_up_to_a_thousand(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, transport = recorded
    instances = await read_instances(client, "db-main")
    assert (len(instances.items), instances.total, instances.error) == (2, 2, "")
    assert {i.deployment_id for i in instances.items} == {"db-main"}
    ((method, path, query),) = transport.sent()
    assert (method, path) == ("GET", "/api/v3.1/node-instances")
    assert query[:4] == [
        ("deployment_id", "db-main"),
        ("_size", "1000"),
        ("_offset", "0"),
        ("_sort", "id"),
    ]


async def test_a_deployment_that_is_not_there_says_so_in_each_part(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, _ = recorded
    details = await read_details(client, "nope", clock=lambda: 7.0)
    assert details == Details(
        deployment_id="nope",
        deployment=None,
        error=NOT_FOUND,
        outputs=Part(error=NOT_FOUND),
        capabilities=Part(error=NOT_FOUND),
        instances=Instances(),  # the manager lists none: no error
        read_at=7.0,
    )
    assert not details.outputs.ok


async def test_refused_credentials_are_the_reason_of_every_part(
    module_manager: ManagerProcess,
) -> None:
    async with ManagerClient(module_manager.url, username="nobody", password="pw") as client:
        details = await read_details(client, "web-prod", clock=lambda: 1.0)
        instances = await read_instances(client, "web-prod")
    reason = details.error
    assert reason == "User unauthorized: No authentication info provided"
    assert details.deployment is None
    assert details.outputs == details.capabilities == Part(error=reason)
    assert details.instances == instances == Instances(error=reason)


async def test_an_error_without_a_message_is_named_by_its_class() -> None:
    answer = http_answer(
        "404 NOT FOUND", json.dumps({"message": "", "error_code": "not_found_error"}).encode()
    )
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        details = await read_details(client, "web-prod", clock=lambda: 1.0)
    assert details == Details(
        deployment_id="web-prod",
        error="NotFound",
        outputs=Part(error="NotFound"),
        capabilities=Part(error="NotFound"),
        instances=Instances(error="NotFound"),
        read_at=1.0,
    )


async def test_never_fewer_instances_counted_than_read() -> None:
    """A list that grew between the manager's count and its page: the total is at
    least what was read, so the screen never says "first 2 of 1"."""
    body = {
        "items": [{"id": "vm_1", "state": "started"}, {"id": "vm_2", "state": "creating"}],
        "metadata": {"pagination": {"total": 1, "size": 1000, "offset": 0}},
    }
    async with (
        LocalServer(http_answer("200 OK", json.dumps(body).encode())) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        instances = await read_instances(client, "web-prod")
    assert [i.id for i in instances.items] == ["vm_1", "vm_2"]
    assert (instances.total, instances.error, instances.complete) == (2, "", True)
