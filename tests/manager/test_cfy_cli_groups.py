"""`cfy deployments groups ...` and `cfy executions groups ...` (the real `cfy` 7.0.5
CLI) against the embedded manager: a group made, extended and shrunk, listed and read;
an execution group started and waited for (the CLI polls the group's status and tails
its events), listed, read and cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cfy_cli import Cfy, parse_table
from tests.manager.test_cfy_cli import use_profile
from tests.manager_process import ManagerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def cfy(cfy_executable: Path, tmp_path: Path, manager: ManagerProcess) -> Cfy:
    cli = Cfy(cfy_executable, tmp_path / "cfy-home")
    use_profile(cli, manager)
    return cli


def ok(cfy: Cfy, *args: str) -> list[str]:
    result = cfy(*args)
    assert result.returncode == 0, str(result)
    return result.lines


def test_deployment_groups(cfy: Cfy) -> None:
    lines = ok(cfy, "deployments", "groups", "create", "web", "--description", "web tier")
    assert "Group web created" in lines
    lines = ok(cfy, "deployments", "groups", "extend", "web", "-d", "web-prod", "-d", "web-canary")
    assert "Group web updated. It now contains 2 deployments" in lines
    lines = ok(cfy, "deployments", "groups", "extend", "web", "-lr", "env=staging")
    assert "Group web updated. It now contains 3 deployments" in lines
    lines = ok(cfy, "deployments", "groups", "shrink", "web", "-d", "web-canary")
    assert "Unlinked deployments web-canary. Group web now has 2 deployments" in lines
    rows = parse_table(ok(cfy, "deployments", "groups", "list"))
    assert rows == [
        {"id": "web", "deployments": "2", "description": "web tier", "default_blueprint_id": ""}
    ]


def test_execution_groups(cfy: Cfy) -> None:
    ok(cfy, "deployments", "groups", "create", "web")
    ok(cfy, "deployments", "groups", "extend", "web", "-lr", "team=web")
    lines = ok(
        cfy, "executions", "groups", "start", "rolling_restart", "-g", "web", "--concurrency", "2"
    )
    started = next(line for line in lines if line.startswith("Execution group "))
    group_id = started.split()[2]
    assert started.endswith("running rolling_restart on deployment group web [concurrency=2]")
    assert "Finished executing workflow rolling_restart on deployment group web." in "\n".join(
        lines
    )
    rows = parse_table(ok(cfy, "executions", "groups", "list"))
    assert rows == [{"id": group_id, "workflow_id": "rolling_restart", "deployment_group": "web"}]
    lines = ok(cfy, "executions", "groups", "get", group_id)
    assert "\n".join(lines).count("rolling_restart") == 1
    rows = parse_table(ok(cfy, "executions", "list", "--include-system-workflows"))
    ended = [row for row in rows if row["workflow_id"] == "rolling_restart"][
        -3:
    ]  # and a seeded one
    assert [row["deployment_id"] for row in ended] == ["web-prod", "web-staging", "web-canary"]
    assert {row["status"] for row in ended} == {"completed"}
    # a paused group (concurrency 0) is cancelled: its queued members are cancelled
    # directly, and the manager answers 404 (no execution left to cancel), as the real one
    result = cfy(
        "executions",
        "groups",
        "start",
        "check_status",
        "-g",
        "web",
        "--concurrency",
        "0",
        "--timeout",
        "1",
    )
    assert result.returncode != 0
    paused = next(
        row["id"]
        for row in parse_table(ok(cfy, "executions", "groups", "list"))
        if row["workflow_id"] == "check_status"
    )
    result = cfy("executions", "groups", "cancel", paused)
    assert "Requested `Execution` [] was not found" in result.stdout + result.stderr
