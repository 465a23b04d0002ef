"""Benchmark: an execution group over a large deployment group (not a pytest test).

Run from the repository root:

    python tests/benchmarks/bench_manager_groups.py [--count 3000] [--concurrency 20]

Starts the embedded manager with `--seed scale:N` (2 in 5 deployments are labelled
env=prod), puts every prod deployment in one deployment group, starts `check_status`
on it, and follows it to the end: how long the PUT and the POST took, how many
members ran at once at most (never more than the concurrency), how long a GET of the
group and the queue's own candidate query took along the way. Then it pauses a second
group (concurrency 0, every member queued) and times the candidate query with all of
them queued: it stays a walk of the queued rows in an index, whatever the manager ran
before.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import admin_client
from tests.manager_process import ManagerProcess

PROD = {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"}
ACTIVE = ["pending", "started", "cancelling", "force_cancelling", "kill_cancelling"]


def timed(call: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


def count(http: httpx.Client, group_id: str, statuses: list[str]) -> int:
    params: dict[str, Any] = {"_group_id": group_id, "status": statuses, "_size": 0}
    return int(http.get("/executions", params=params).json()["metadata"]["pagination"]["total"])


def follow(http: httpx.Client, group_id: str) -> None:
    most, gets, start = 0, [], time.monotonic()
    while True:
        group, ms = timed(lambda: http.get(f"/execution-groups/{group_id}").json())
        gets.append(ms)
        most = max(most, count(http, group_id, ACTIVE))
        if group["status"] in ("terminated", "failed"):
            break
        time.sleep(0.2)
    print(f"ended {group['status']} in {time.monotonic() - start:.1f} s; at most {most} running")
    print(
        f"GET /execution-groups/<id>: max {max(gets):.0f} ms, mean {sum(gets) / len(gets):.0f} ms"
    )


def candidates_ms(data: Path) -> float:
    """The queue's candidate query (see `queue._candidates`), timed on the data file."""
    from tui.manager.queue import ACTIVE_MARKS  # the same SQL as the manager runs

    db = sqlite3.connect(data / "manager.sqlite3")
    sql = (
        "SELECT e.id FROM executions e INDEXED BY executions_by_state "
        "LEFT JOIN execution_group_members m ON m.execution_id = e.id "
        "LEFT JOIN execution_groups g ON g.pk = m.group_pk "
        "WHERE e.status = 'queued' AND e.is_system_workflow = 0 "
        "AND (m.group_pk IS NULL OR g.concurrency > 0) "
        "AND NOT EXISTS (SELECT 1 FROM executions b WHERE b.tenant = e.tenant AND "
        f"b.deployment_id = e.deployment_id AND b.status IN ({ACTIVE_MARKS})) "
    )
    _, ms = timed(lambda: db.execute(sql, ACTIVE).fetchall())
    total = db.execute("SELECT COUNT(*) FROM executions").fetchone()[0]
    db.close()
    print(f"(over {total} executions in all)")
    return ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp()) / "manager"
    proc = ManagerProcess(data=data, seed=f"scale:{args.count}").start(timeout=600)
    try:
        with admin_client(proc) as http:
            put, ms = timed(
                lambda: http.put("/deployment-groups/prod", json={"filter_rules": [PROD]})
            )
            print(f"PUT a group of {len(put.json()['deployment_ids'])} deployments: {ms:.0f} ms")
            body = {"deployment_group_id": "prod", "workflow_id": "check_status"}
            started, ms = timed(
                lambda: http.post(
                    "/execution-groups", json={**body, "concurrency": args.concurrency}
                )
            )
            print(f"POST /execution-groups: {ms:.0f} ms ({started.json()['status']})")
            follow(http, started.json()["id"])
            http.post("/execution-groups", json={**body, "concurrency": 0})
            print(f"queue candidates with every member queued: {candidates_ms(data):.1f} ms")
    finally:
        proc.stop()


if __name__ == "__main__":
    main()
