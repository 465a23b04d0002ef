"""`cfy deployments labels ...`, `cfy deployments list` with filter rules and
`cfy deployments filters ...` (the real `cfy` 7.0.5 CLI) against the embedded manager.

The CLI's rule syntax (`cloudify_cli/filters_utils.py`): `-lr 'key=value'`,
`key!=value`, `key is-not value`, `key is null`, `key is not null`, a value list as
`[a,b]`; `-ar 'attr=value'`, `attr starts-with value`, `contains`, ... It sends them to
`POST /searches/deployments` and prints `(N hidden by filter)` from `filtered`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cfy_cli import Cfy, parse_table
from tests.manager.test_cfy_cli import use_profile
from tests.manager_process import ManagerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def shared_cfy(cfy_executable: Path, tmp_path: Path, module_manager: ManagerProcess) -> Cfy:
    """An admin profile on the module's manager, for tests that only read."""
    cfy = Cfy(cfy_executable, tmp_path / "cfy-home")
    use_profile(cfy, module_manager)
    return cfy


@pytest.fixture
def own_cfy(cfy_executable: Path, tmp_path: Path, manager: ManagerProcess) -> Cfy:
    """An admin profile on this test's own manager, for tests that change things."""
    cfy = Cfy(cfy_executable, tmp_path / "cfy-home")
    use_profile(cfy, manager)
    return cfy


def listed(cfy: Cfy, *args: str) -> tuple[list[str], str]:
    """The ids `cfy deployments list ...` shows, and its last line."""
    result = cfy("deployments", "list", *args)
    assert result.returncode == 0, str(result)
    return [row["id"] for row in parse_table(result.lines)], result.lines[-1]


def test_labels_list(shared_cfy: Cfy) -> None:
    result = shared_cfy("deployments", "labels", "list", "web-prod")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Listing labels of deployment web-prod...", str(result)
    assert parse_table(result.lines) == [
        {"key": "env", "values": '"prod"'},
        {"key": "region", "values": '"eu-west"'},
        {"key": "team", "values": '"web"'},
    ]


def test_list_with_label_and_attribute_rules(shared_cfy: Cfy) -> None:
    ids, last = listed(shared_cfy, "-lr", "env=prod", "-lr", "region=[eu-west,eu-central]")
    assert ids == ["web-prod", "db-main", "db-replica"]
    assert last == "Showing 3 of 3 deployments (3 hidden by filter)"
    assert listed(shared_cfy, "-lr", "team!=web")[0] == ["db-main", "db-replica", "analytics"]
    assert listed(shared_cfy, "-lr", "team is-not [web,data]")[0] == ["analytics"]
    assert listed(shared_cfy, "-lr", "owner is null")[1] == "Showing 6 of 6 deployments"
    assert listed(shared_cfy, "-lr", "owner is not null")[0] == []
    ids, last = listed(shared_cfy, "-ar", "blueprint_id starts-with web")
    assert ids == ["web-prod", "web-staging", "web-canary"]
    assert last == "Showing 3 of 3 deployments (3 hidden by filter)"
    assert listed(shared_cfy, "--filter-id", "prod-eu")[0] == ["web-prod", "db-main", "db-replica"]


def test_a_bad_rule_is_the_servers_error(shared_cfy: Cfy) -> None:
    result = shared_cfy("deployments", "list", "-lr", "csys-nope=1")
    assert result.returncode == 1, str(result)
    assert "All labels with a `csys-` prefix are reserved for internal use" in result.stdout


def test_labels_add_and_delete(own_cfy: Cfy) -> None:
    added = own_cfy("deployments", "labels", "add", "tier:front,owner:alice", "web-prod")
    assert added.returncode == 0, str(added)
    assert added.lines[-1].startswith(
        "The following label(s) were added successfully to deployment web-prod: "
    ), str(added)
    assert listed(own_cfy, "-lr", "owner=alice", "-lr", "tier=front")[0] == ["web-prod"]
    deleted = own_cfy("deployments", "labels", "delete", "owner", "web-prod")
    assert deleted.returncode == 0, str(deleted)
    assert deleted.lines[-1] == (
        "The following label(s) were deleted successfully from deployment web-prod: "
        "[{'owner': 'alice'}]"
    ), str(deleted)
    rows = parse_table(own_cfy("deployments", "labels", "list", "web-prod").lines)
    assert [row["key"] for row in rows] == ["env", "region", "team", "tier"]


def test_filters_create_list_get_update_delete(own_cfy: Cfy) -> None:
    created = own_cfy(
        "deployments", "filters", "create", "data-team", "-lr", "team=data", "-ar",
        "blueprint_id=database",
    )  # fmt: skip
    assert created.returncode == 0, str(created)
    assert created.lines == ["Deployments' filter `data-team` created"], str(created)
    result = own_cfy("deployments", "filters", "list", "--search", "team")
    assert result.returncode == 0, str(result)
    (row,) = parse_table(result.lines)
    assert row["id"] == "data-team"
    assert row["labels_filter_rules"] == '"team=data"'
    assert row["attrs_filter_rules"] == '"blueprint_id=database"'
    assert row["visibility"] == "tenant" and row["created_by"] == "admin"
    assert result.lines[-1] == "Showing 1 of 1 filters"
    everything = own_cfy("deployments", "filters", "list")
    assert everything.lines[-1] == "Showing 24 of 24 filters", str(everything)
    got = own_cfy("deployments", "filters", "get", "data-team")
    assert "\tis_system_filter:          False" in got.lines, str(got)
    updated = own_cfy("deployments", "filters", "update", "data-team", "-lr", "env=prod")
    assert updated.lines == ["Deployments filter `data-team` updated"], str(updated)
    assert listed(own_cfy, "--filter-id", "data-team")[0] == ["db-main", "db-replica"]
    deleted = own_cfy("deployments", "filters", "delete", "data-team")
    assert deleted.lines[-1] == "Filter removed", str(deleted)
    system = own_cfy("deployments", "filters", "delete", "csys-k8s-filter")
    assert system.returncode == 1, str(system)
    assert system.lines[-1] == "An error occurred on the server: 400: Cannot delete a system filter"
