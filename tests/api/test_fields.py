"""A manager that lacks fields the client asks for (6.x): the client drops what the
version is known to lack, learns the rest from the first refusal, retries once, and
never sends a request refused for a field reason again."""

from __future__ import annotations

import pytest

from tests.api.old_manager import OldManager
from tests.manager_process import PASSWORDS, ManagerProcess
from tui.api import BadParameters, ManagerClient
from tui.api.fields import FieldSupport, refused_fields, version_tuple


def test_the_refused_fields_are_read_from_either_wording() -> None:
    wanted = ["id", "latest_execution", "latest_execution_workflow_id"]
    seven = (
        "Include keys '['latest_execution_workflow_id']' do not exist. "
        "Allowed keys are: ['id', 'latest_execution']"
    )
    assert refused_fields(seven, wanted) == {"latest_execution_workflow_id"}
    six = (
        "Illegal include fields: ['latest_execution', 'latest_execution_workflow_id'] "
        "- choose from: ['id', 'created_at']"
    )
    assert refused_fields(six, wanted) == {"latest_execution", "latest_execution_workflow_id"}
    # Only the allowed list is readable: what we asked for and it lacks.
    odd = "bad include [nosuch] - choose from: [id, latest_execution]"
    assert refused_fields(odd, wanted) == {"latest_execution_workflow_id"}
    assert refused_fields("no list at all", wanted) == set()


def test_versions_and_what_they_lack() -> None:
    assert version_tuple("7.0.4") == (7, 0, 4)
    assert version_tuple("6.4.2.dev1") == (6, 4, 2)
    assert version_tuple("") is None and version_tuple("x") is None
    support = FieldSupport()
    support.know_version("6.2.0")
    wanted = ["id", "latest_execution", "latest_execution_workflow_id"]
    assert support.include("deployments", wanted) == ["id"]
    assert support.include("executions", wanted) == wanted
    support = FieldSupport()
    support.know_version("6.4.0")
    assert support.include("deployments", wanted) == ["id", "latest_execution"]
    support = FieldSupport()
    support.know_version("7.0.4")
    assert support.include("deployments", wanted) == wanted
    assert support.missing() == {}


@pytest.mark.parametrize(
    ("version", "kept"),
    [
        ("6.2.9", ["id"]),
        ("6.3", ["id", "latest_execution"]),
        ("6.3.0", ["id", "latest_execution"]),
        ("6.4.2.dev1", ["id", "latest_execution"]),
        ("7.0", ["id", "latest_execution", "latest_execution_workflow_id"]),
        ("7.0.0", ["id", "latest_execution", "latest_execution_workflow_id"]),
    ],
)
def test_a_manager_at_the_version_that_added_a_field_has_it(version: str, kept: list[str]) -> None:
    """`since` is the first version that gives the field: a 7.0 manager is asked for
    `latest_execution_workflow_id`, or its lists lose the workflow column for nothing."""
    support = FieldSupport()
    support.know_version(version)
    wanted = ["id", "latest_execution", "latest_execution_workflow_id"]
    assert support.include("deployments", wanted) == kept


def test_the_settings_say_why_each_field_is_missing() -> None:
    """The reasons are shown in the settings view, word for word."""
    support = FieldSupport()
    support.know_version("6.2.1")
    assert support.missing() == {
        "deployments": {
            "latest_execution_workflow_id": (
                "manager 6.2.1 has no latest_execution_workflow_id (from 7.0)"
            ),
            "latest_execution": "manager 6.2.1 has no latest_execution (from 6.3)",
        }
    }
    refusal = "Include keys '['created_by', 'site_name']' do not exist. Allowed keys are: []"
    assert support.learn("executions", ["id", "created_by", "site_name"], refusal)
    assert support.missing()["executions"] == {
        "created_by": "the manager refused _include=created_by",
        "site_name": "the manager refused _include=site_name",
    }
    # Told again, nothing is new: the request is not worth sending once more.
    assert not support.learn("executions", ["created_by"], refusal)
    # A version's reason stays the reason, even once a refusal named the field too.
    assert not support.learn("deployments", ["latest_execution"], "bad [latest_execution]")
    assert support.missing()["deployments"]["latest_execution"] == (
        "manager 6.2.1 has no latest_execution (from 6.3)"
    )


@pytest.mark.parametrize("wording", ["7", "6"])
async def test_a_refused_field_is_dropped_and_never_asked_again(
    manager: ManagerProcess, wording: str
) -> None:
    old = OldManager({"deployments": {"latest_execution_workflow_id"}}, wording=wording)
    async with ManagerClient(
        manager.url, username="admin", password=PASSWORDS["admin"], transport=old
    ) as client:
        for _ in range(3):
            page = await client.list_deployments()
            assert page.items and page.items[0].latest_execution_workflow_id is None
            assert page.items[0].latest_execution_status  # the rest still comes
        assert old.refused == ["deployments:latest_execution_workflow_id"]
        missing = client.fields.missing()
        assert set(missing["deployments"]) == {"latest_execution_workflow_id"}
        # Executions were never refused: their fields stay.
        await client.list_executions()
        assert len(old.refused) == 1


async def test_a_known_version_is_not_asked_what_it_lacks(manager: ManagerProcess) -> None:
    old = OldManager(
        {"deployments": {"latest_execution", "latest_execution_workflow_id"}}, version="6.2.1"
    )
    async with ManagerClient(
        manager.url, username="admin", password=PASSWORDS["admin"], transport=old
    ) as client:
        assert (await client.version()).version == "6.2.1"
        await client.list_deployments()
        assert old.refused == []
        assert "6.2.1" in client.fields.missing()["deployments"]["latest_execution"]


async def test_a_refusal_that_names_nothing_is_raised_not_looped(
    manager: ManagerProcess,
) -> None:
    """A refusal whose message names no field we asked for leaves nothing to drop:
    the error comes back after that one request, nothing is resent."""
    old = OldManager({"deployments": {"latest_execution"}}, wording="opaque")
    async with ManagerClient(
        manager.url, username="admin", password=PASSWORDS["admin"], transport=old
    ) as client:
        with pytest.raises(BadParameters):
            await client.list_deployments()
        assert len(old.refused) == 1
