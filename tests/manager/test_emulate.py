"""`--emulate 6.2|6.4|7.0|7.1`: the embedded manager answers as that version does, to
the official client and to the app's own: its version string, the fields it has (a
field it lacks is refused with `no_such_include_field_error`), its workflow objects,
master's deployments-list `workflows` pitfall and 6.2's event times."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import CloudifyClientError

from tests.manager_process import PASSWORDS, ManagerProcess
from tui.api import ManagerClient

VERSIONS = {"6.2": "6.2.0", "6.4": "6.4.2", "7.0": "7.0.4", "7.1": "7.1.0"}


@pytest.fixture(scope="module")
def managers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ManagerProcess]]:
    """One manager per emulated version, plus one started without the flag."""
    started: dict[str, ManagerProcess] = {}
    try:
        for name in [*VERSIONS, "default"]:
            emulate = None if name == "default" else name
            proc = ManagerProcess(data=tmp_path_factory.mktemp(f"m{name}"), emulate=emulate)
            started[name] = proc.start()
        yield started
    finally:
        for proc in started.values():
            proc.stop()


def official(manager: ManagerProcess) -> CloudifyClient:
    port = int(manager.url.rsplit(":", 1)[1])
    return CloudifyClient(
        host="127.0.0.1",
        port=port,
        username="admin",
        password=PASSWORDS["admin"],
        tenant="default_tenant",
    )


def raw(manager: ManagerProcess) -> httpx.Client:
    return httpx.Client(
        base_url=manager.api,
        auth=("admin", PASSWORDS["admin"]),
        headers={"Tenant": "default_tenant"},
        timeout=30,
    )


class Recorder(httpx.AsyncHTTPTransport):
    """The real transport, noting each answer's path and status (nothing is changed)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.answers.append((request.url.path, response.status_code))
        return response


@pytest.mark.parametrize("name", list(VERSIONS))
def test_each_version_says_its_version(managers: dict[str, ManagerProcess], name: str) -> None:
    client = official(managers[name])
    assert client.manager.get_version()["version"] == VERSIONS[name]
    with raw(managers[name]) as http:
        assert http.get("/version").json()["version"] == VERSIONS[name]
        assert http.get("/managers").json()["items"][0]["version"] == VERSIONS[name]


def test_the_default_is_the_reference_7_0_4(managers: dict[str, ManagerProcess]) -> None:
    assert official(managers["default"]).manager.get_version()["version"] == "7.0.4"
    assert "as Cloudify 7.0.4" in managers["default"].output[0]


# (version, resource, field) -> whether `_include` of it is accepted
INCLUDES = [
    ("6.2", "deployments", "latest_execution", False),
    ("6.2", "deployments", "latest_execution_workflow_id", False),
    ("6.2", "deployments", "latest_execution_status", True),
    ("6.2", "deployments", "schedules", True),
    ("6.2", "deployments", "drifted_instances", False),
    ("6.2", "executions", "parameters_p", False),
    ("6.4", "deployments", "latest_execution", True),
    ("6.4", "deployments", "latest_execution_workflow_id", False),
    ("6.4", "deployments", "drifted_instances", True),
    ("6.4", "deployments", "inputs_p", False),
    ("6.4", "executions", "parameters_p", False),
    ("7.0", "deployments", "latest_execution_workflow_id", True),
    ("7.0", "deployments", "latest_execution_id", True),
    ("7.0", "deployments", "schedules", False),
    ("7.0", "executions", "parameters_p", True),
    ("7.1", "deployments", "latest_execution_id", False),
    ("7.1", "deployments", "latest_execution_workflow_id", True),
]


@pytest.mark.parametrize(("name", "resource", "field", "given"), INCLUDES)
def test_includable_fields_follow_the_version(
    managers: dict[str, ManagerProcess], name: str, resource: str, field: str, given: bool
) -> None:
    client = official(managers[name])
    api = client.deployments if resource == "deployments" else client.executions
    if given:
        items = api.list(_include=["id", field])
        assert items and all(set(item) == {"id", field} for item in items)
    else:
        with pytest.raises(CloudifyClientError) as refused:
            api.list(_include=["id", field])
        assert refused.value.status_code == 400
        assert refused.value.error_code == "no_such_include_field_error"
        assert str(refused.value).startswith(f"400: Include keys '['{field}']' do not exist.")


def test_a_full_object_has_only_the_fields_of_its_version(
    managers: dict[str, ManagerProcess],
) -> None:
    with raw(managers["6.2"]) as http:
        dep = http.get("/deployments/web-prod").json()
        assert "latest_execution" not in dep and "latest_execution_workflow_id" not in dep
        assert dep["schedules"] == [] and "latest_execution_status" in dep
        execution = http.get("/executions", params={"_size": 1}).json()["items"][0]
        assert "parameters_p" not in execution
    with raw(managers["7.0"]) as http:
        dep = http.get("/deployments/web-prod").json()
        assert "schedules" not in dep and "latest_execution_workflow_id" in dep


def test_sort_and_filter_keys_follow_the_version(managers: dict[str, ManagerProcess]) -> None:
    with raw(managers["6.4"]) as http:
        answer = http.get("/deployments", params={"_sort": "latest_execution_workflow_id"})
        assert answer.status_code == 400 and "Sort keys" in answer.json()["message"]
    with raw(managers["7.0"]) as http:
        assert http.get("/deployments", params={"latest_execution": "x"}).status_code == 400
    with raw(managers["7.1"]) as http:
        # master made `latest_execution` an association proxy: a filter key now.
        answer = http.get("/deployments", params={"latest_execution": "x"})
        assert answer.status_code == 200 and answer.json()["items"] == []
        assert http.get("/deployments", params={"_sort": "latest_execution_id"}).status_code == 400


def test_workflows_lack_availability_on_6_2(managers: dict[str, ManagerProcess]) -> None:
    for name in VERSIONS:
        workflows = official(managers[name]).deployments.get("web-prod").workflows
        assert workflows and all(wf["name"] for wf in workflows)
        if name == "6.2":
            assert all(
                set(wf) == {"name", "plugin", "operation", "parameters", "is_cascading"}
                for wf in workflows
            )
            assert not any(wf["is_cascading"] for wf in workflows)
        else:
            assert all("is_available" in wf and "availability_rules" in wf for wf in workflows)


def test_7_1_lists_workflows_only_with_get_data(managers: dict[str, ManagerProcess]) -> None:
    nulls = {
        "name": None,
        "plugin": None,
        "operation": None,
        "parameters": None,
        "is_cascading": None,
        "is_available": None,
        "availability_rules": None,
    }
    with raw(managers["7.1"]) as http:
        listed = http.get("/deployments").json()["items"]
        assert listed and all(dep["workflows"] == [nulls] for dep in listed)
        full = http.get("/deployments", params={"_get_data": "true"}).json()["items"]
        assert all(wf["name"] for dep in full for wf in dep["workflows"])
        assert http.get("/deployments/web-prod").json()["workflows"][0]["name"]
    with raw(managers["7.0"]) as http:
        listed = http.get("/deployments").json()["items"]
        assert all(wf["name"] for dep in listed for wf in dep["workflows"])


def test_6_2_stamps_posted_events_itself(managers: dict[str, ManagerProcess]) -> None:
    sent = "2001-02-03T04:05:06.000Z"
    for name, kept in (("6.2", False), ("7.0", True)):
        with raw(managers[name]) as http:
            execution = http.get("/executions", params={"_size": 1}).json()["items"][0]
            body = {
                "execution_id": execution["id"],
                "events": [
                    {
                        "event_type": "workflow_stage",
                        "message": {"text": f"stamped by the sender on {name}"},
                        "context": {},
                        "timestamp": sent,
                        "reported_timestamp": sent,
                    }
                ],
            }
            assert http.post("/events", json=body).status_code == 201
            items = http.get(
                "/events",
                params={"execution_id": execution["id"], "message": f"stamped % on {name}"},
            ).json()["items"]
            assert len(items) == 1
            assert (items[0]["reported_timestamp"] == sent) is kept
            assert (items[0]["timestamp"] == sent) is kept


@pytest.mark.parametrize("name", list(VERSIONS))
async def test_the_apps_client_gets_data_from_each_version(
    managers: dict[str, ManagerProcess], name: str
) -> None:
    """Told the version, the client asks for nothing the version lacks; not told, it
    learns from one refusal per resource and never asks again."""
    for tell_version in (True, False):
        recorder = Recorder()
        async with ManagerClient(
            managers[name].url,
            username="admin",
            password=PASSWORDS["admin"],
            transport=recorder,
        ) as client:
            if tell_version:
                assert (await client.version()).version == VERSIONS[name]
            for _ in range(3):
                page = await client.list_deployments()
                assert {d.id for d in page.items} >= {"web-prod"}
                executions = await client.list_executions()
                assert executions.items
            refusals = [path for path, status in recorder.answers if status == 400]
            lacking = name in ("6.2", "6.4")
            expected = 1 if lacking and not tell_version else 0
            assert len(refusals) == expected, recorder.answers
            missing = client.fields.missing().get("deployments", {})
            assert ("latest_execution_workflow_id" in missing) is lacking
            assert ("latest_execution" in missing) is (name == "6.2")


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    proc = ManagerProcess(data=tmp_path / "m", emulate="5.0")
    with pytest.raises(RuntimeError, match="invalid choice"):
        proc.start()
