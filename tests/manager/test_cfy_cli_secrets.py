"""`cfy secrets ...` (the real `cfy` 7.0.5 CLI) against the embedded manager.

The same commands were run against a real 7.0.4 manager: their output was the same
line for line, timestamps aside.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cfy_cli import Cfy, parse_table
from tests.manager.test_cfy_cli import use_profile
from tests.manager_process import ManagerProcess

pytestmark = pytest.mark.slow

COLUMNS = [
    "key",
    "created_at",
    "updated_at",
    "visibility",
    "tenant_name",
    "created_by",
    "is_hidden_value",
    "provider_name",
]


def profile(cfy_executable: Path, workdir: Path, manager: ManagerProcess, user: str) -> Cfy:
    cfy = Cfy(cfy_executable, workdir)
    use_profile(cfy, manager, user)
    return cfy


@pytest.fixture
def admin_cfy(cfy_executable: Path, tmp_path: Path, module_manager: ManagerProcess) -> Cfy:
    return profile(cfy_executable, tmp_path / "admin", module_manager, "admin")


@pytest.fixture
def viewer_cfy(cfy_executable: Path, tmp_path: Path, module_manager: ManagerProcess) -> Cfy:
    return profile(cfy_executable, tmp_path / "viewer", module_manager, "viewer")


def details(lines: list[str]) -> dict[str, str]:
    """The `name: value` lines `cfy secrets get` prints under its title."""
    start = lines.index("Requested secret info:") + 1
    pairs = [line.strip().split(":", 1) for line in lines[start:] if line.startswith("\t")]
    return {name: value.strip() for name, value in pairs}


def test_create_get_list_update_delete(admin_cfy: Cfy) -> None:
    created = admin_cfy("secrets", "create", "cli-key", "-s", "cli-value")
    assert created.returncode == 0, str(created)
    assert created.lines == ["Secret `cli-key` created"], str(created)

    got = admin_cfy("secrets", "get", "cli-key")
    assert got.returncode == 0, str(got)
    assert got.lines[:2] == ["Getting info for secret `cli-key`...", "Requested secret info:"]
    shown = details(got.lines)
    assert list(shown) == [
        "created_at",
        "visibility",
        "value",
        "updated_at",
        "is_hidden_value",
        "schema",
        "provider_options",
        "key",
        "provider_name",
        "tenant_name",
        "created_by",
    ], str(got)
    assert shown["value"] == "cli-value" and shown["visibility"] == "tenant"
    assert shown["is_hidden_value"] == "False" and shown["created_by"] == "admin"

    listed = admin_cfy("secrets", "list", "--search", "cli-key")
    assert listed.returncode == 0, str(listed)
    assert listed.lines[0] == "Listing all secrets..."
    rows = parse_table(listed.lines)
    assert [list(row) for row in rows] == [COLUMNS], str(listed)
    assert rows[0]["key"] == "cli-key" and rows[0]["tenant_name"] == "default_tenant"
    assert rows[0]["provider_name"] == ""
    assert listed.lines[-1] == "Showing 1 of 1 secrets", str(listed)

    updated = admin_cfy("secrets", "update", "cli-key", "-s", "changed")
    assert updated.lines == ["Secret `cli-key` updated"], str(updated)
    assert details(admin_cfy("secrets", "get", "cli-key").lines)["value"] == "changed"

    deleted = admin_cfy("secrets", "delete", "cli-key")
    assert deleted.returncode == 0, str(deleted)
    assert deleted.lines == ["Deleting secret `cli-key`...", "Secret removed"], str(deleted)
    gone = admin_cfy("secrets", "get", "cli-key")
    assert gone.returncode == 0, str(gone)  # the CLI reports a 404 gracefully
    assert gone.lines == [
        "Getting info for secret `cli-key`...",
        "Requested secret with key `cli-key` was not found in this tenant",
    ], str(gone)
    again = admin_cfy("secrets", "delete", "cli-key")
    assert again.lines == [
        "Deleting secret `cli-key`...",
        "Requested secret with key `cli-key` was not found",
    ], str(again)


def test_create_existing_key(admin_cfy: Cfy) -> None:
    assert admin_cfy("secrets", "create", "cli-dup", "-s", "one").returncode == 0
    clash = admin_cfy("secrets", "create", "cli-dup", "-s", "two")
    assert clash.returncode == 1, str(clash)
    assert clash.lines == [
        "An error occurred on the server: 409: <Secret id=`cli-dup` tenant=`default_tenant`> "
        "already exists on <Tenant name=`default_tenant`> or with global visibility"
    ], str(clash)
    replaced = admin_cfy("secrets", "create", "cli-dup", "-s", "two", "--update-if-exists")
    assert replaced.returncode == 0, str(replaced)
    assert details(admin_cfy("secrets", "get", "cli-dup").lines)["value"] == "two"


def test_list_sorted_and_paged(admin_cfy: Cfy) -> None:
    for key in ("cli-page-a", "cli-page-b", "cli-page-c"):
        assert admin_cfy("secrets", "create", key, "-s", "x").returncode == 0
    result = admin_cfy(
        "secrets", "list", "--search", "cli-page", "--sort-by", "key", "--descending",
        "-o", "1", "-s", "1",
    )  # fmt: skip
    assert result.returncode == 0, str(result)
    assert [row["key"] for row in parse_table(result.lines)] == ["cli-page-b"], str(result)
    assert result.lines[-1] == "Showing 1 of 3 secrets", str(result)


def test_hidden_value_is_starred_for_a_viewer(admin_cfy: Cfy, viewer_cfy: Cfy) -> None:
    created = admin_cfy("secrets", "create", "cli-hidden", "-s", "top", "--hidden-value")
    assert created.returncode == 0, str(created)
    assert details(admin_cfy("secrets", "get", "cli-hidden").lines)["value"] == "top"
    shown = details(viewer_cfy("secrets", "get", "cli-hidden").lines)
    assert shown["value"] == "*********" and shown["is_hidden_value"] == "True"
    refused = viewer_cfy("secrets", "delete", "cli-hidden")
    assert refused.returncode == 1, str(refused)
    assert refused.lines[-1] == (
        "An error occurred on the server: 403: User `viewer` is not permitted to perform the "
        "action secret_delete in the tenant `default_tenant`"
    ), str(refused)


def test_invalid_key_is_refused_by_the_manager(admin_cfy: Cfy) -> None:
    result = admin_cfy("secrets", "create", "1bad", "-s", "x")
    assert result.returncode == 1, str(result)
    assert result.lines == [
        "An error occurred on the server: 400: The `key` argument must begin with a letter"
    ], str(result)
