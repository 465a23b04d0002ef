"""Nothing acknowledged is lost across a restart or a kill -9, and executions that were
running when the manager died do not stay active forever."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx

from tests.conftest import admin_client
from tests.manager_process import ManagerProcess
from tests.polling import wait_for

END = {"terminated", "failed", "cancelled"}


def status_of(http: httpx.Client, exec_id: str) -> str:
    return http.get(f"/executions/{exec_id}").json()["status"]


def test_state_survives_a_clean_restart(manager: ManagerProcess) -> None:
    with admin_client(manager) as http:
        execution = http.post(
            "/executions", json={"deployment_id": "db-replica", "workflow_id": "install"}
        ).json()
        wait_for(lambda: status_of(http, execution["id"]) == "terminated", what="install")
        events_before = http.get("/events", params={"execution_id": execution["id"]}).json()
        token = http.post("/tokens", json={"description": "kept"}).json()["value"]
    manager.restart()
    with admin_client(manager) as http:
        assert status_of(http, execution["id"]) == "terminated"
        assert http.get("/events", params={"execution_id": execution["id"]}).json() == (
            events_before
        )
        dep = http.get("/deployments/db-replica").json()
        assert dep["installation_status"] == "active"
        assert dep["latest_execution"] == execution["id"]
    by_token = httpx.get(
        manager.api + "/deployments",
        headers={"Authentication-Token": token, "Tenant": "default_tenant"},
    )
    assert by_token.status_code == 200


def test_kill_9_fails_running_executions_and_dequeues_the_rest(manager: ManagerProcess) -> None:
    with admin_client(manager) as http:
        running = http.post(
            "/executions", json={"deployment_id": "analytics", "workflow_id": "reindex"}
        ).json()
        wait_for(lambda: status_of(http, running["id"]) == "started", what="started")
        queued = http.post(
            "/executions",
            json={"deployment_id": "analytics", "workflow_id": "check_status", "queue": True},
        ).json()
        assert queued["status"] == "queued"
        cancelling = http.post(
            "/executions",
            json={"deployment_id": "web-prod", "workflow_id": "rolling_restart"},
        ).json()
        wait_for(lambda: status_of(http, cancelling["id"]) == "started", what="started")
    manager.stop(kill=True)
    # Mark the second one cancelling directly, as if the kill hit between the cancel
    # request and the worker's confirmation.
    db = sqlite3.connect(manager.data / "manager.sqlite3")
    db.execute("UPDATE executions SET status = 'cancelling' WHERE id = ?", (cancelling["id"],))
    db.commit()
    db.close()
    manager.start()
    with admin_client(manager) as http:
        interrupted = http.get(f"/executions/{running['id']}").json()
        assert interrupted["status"] == "failed"
        assert interrupted["error"].startswith(
            "Execution interrupted: the manager stopped while it was started"
        )
        assert interrupted["ended_at"]
        last = http.get(
            "/events",
            params={"execution_id": running["id"], "_sort": "-reported_timestamp", "_size": 1},
        ).json()["items"][0]
        assert last["event_type"] == "workflow_failed"
        assert status_of(http, cancelling["id"]) == "cancelled"
        assert (
            wait_for(
                lambda: status_of(http, queued["id"]) in END and status_of(http, queued["id"]),
                what="queued execution to run after the restart",
            )
            == "terminated"
        )
        dep = http.get("/deployments/analytics").json()
        assert dep["deployment_status"] != "in_progress"


def test_kill_9_during_a_burst_of_starts_loses_nothing(manager: ManagerProcess) -> None:
    acknowledged: list[str] = []
    stop = threading.Event()

    def burst() -> None:
        with admin_client(manager) as http:
            while not stop.is_set():
                try:
                    response = http.post(
                        "/executions",
                        json={
                            "deployment_id": "web-prod",
                            "workflow_id": "check_status",
                            "force": True,
                        },
                    )
                except httpx.HTTPError:
                    return
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])

    threads = [threading.Thread(target=burst) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(acknowledged) >= 30, what="30 acknowledged starts", timeout=30)
    manager.stop(kill=True)
    stop.set()
    for thread in threads:
        thread.join(10)
    db_path: Path = manager.data / "manager.sqlite3"
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in db.execute("SELECT id FROM executions")}
    db.close()
    assert set(acknowledged) <= stored
    manager.start()
    with admin_client(manager) as http:
        statuses = {exec_id: status_of(http, exec_id) for exec_id in acknowledged}
    # Recovery ran before the first request was served: whatever was interrupted by
    # the kill has already been ended, nothing is left pending or started.
    assert set(statuses.values()) <= END, statuses
