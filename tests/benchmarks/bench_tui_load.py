"""Benchmark: the load budget of a fast tick and of opening an old execution (issue 9,
item 4), on a busy manager (not a pytest test).

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_load.py [--ticks 30] [--queued 2000] [--events 100000]

Builds an embedded manager with `--seed scale:150` (50 analytics deployments), then,
with the manager stopped, writes `--events` events and logs straight into the SQLite
store for one ended execution; restarts it with `--max-concurrent-workflows 50` at a
crawl (`--speed 0.01`), starts `reindex` on the 50 analytics deployments (50 running)
and queues `--queued` more behind them (queued). Then, in this process:

- runs the real `Poller` (fast interval 1 s, one deployment selected) for `--ticks`
  ticks and reports, per tick, requests and rows received (items of every list
  answer), and bytes received per minute; the medians are what to compare;
- replays the tick of before issue 9 (every unfinished execution, up to 1000, all
  fields; the selected deployment's executions; its detail, whole) as the baseline
  measured in the same run;
- opens the execution with `--events` events as the execution screen does (the
  execution, then the newest page) and as before (pages of 100 from offset 0, as
  many as `--old-pages`, extrapolated to all of them), and reports the time to the
  first event lines.

Requests, rows and bytes are counted by the client's transport (the bytes are the
response bodies as received). On 2 shared cores, compare ratios from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402
from tui.api.client import ManagerClient  # noqa: E402
from tui.api.models import UNFINISHED_STATES  # noqa: E402
from tui.config import DEFAULTS  # noqa: E402
from tui.live.poller import Poller  # noqa: E402
from tui.live.snapshot import Snapshot  # noqa: E402
from tui.live.tail import EventTail  # noqa: E402


class Counter(httpx.AsyncHTTPTransport):
    """Counts requests, bytes received and list rows (`items`) of every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self.bytes = 0
        self.rows = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        body = await response.aread()
        self.requests += 1
        self.bytes += len(body)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("items"), list):
            self.rows += len(payload["items"])
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def mark(self) -> tuple[int, int, int]:
        return (self.requests, self.rows, self.bytes)


def client(url: str, counter: Counter | None = None) -> ManagerClient:
    return ManagerClient(url, username="admin", password=PASSWORDS["admin"], transport=counter)


def add_events(data: Path, count: int) -> str:
    """`count` events and logs for the newest ended execution of dep-00002 (an
    analytics deployment), written straight into the store; its id."""
    db = sqlite3.connect(data / "manager.sqlite3")
    try:
        row = db.execute(
            "SELECT * FROM executions WHERE deployment_id = 'dep-00002' "
            "ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        names = [d[0] for d in db.execute("SELECT * FROM executions LIMIT 0").description]
        execution = dict(zip(names, row, strict=True))
        base = time.time() - 86400
        rows = []
        for n in range(count):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + n / 100))
            stamp += f".{n % 1000:03d}Z"
            log = n % 3 != 0
            rows.append(
                (
                    execution["tenant"],
                    "cloudify_log" if log else "cloudify_event",
                    execution["id"],
                    execution["deployment_id"],
                    execution["deployment_display_name"],
                    execution["workflow_id"],
                    execution["blueprint_id"],
                    stamp,
                    stamp,
                    f"step {n} of a very long execution",
                    None if log else "workflow_node_event",
                    "info" if log else None,
                    "ctx.workflow" if log else None,
                )
            )
        db.executemany(
            "INSERT INTO events (tenant, type, execution_id, deployment_id, "
            "deployment_display_name, workflow_id, blueprint_id, timestamp, "
            "reported_timestamp, message, event_type, level, logger) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.commit()
        return str(execution["id"])
    finally:
        db.close()


async def load(url: str, queued: int) -> None:
    async with client(url) as ops:
        analytics = [f"dep-{i:05d}" for i in range(150) if i % 3 == 2]
        for dep in analytics:
            await ops.start_execution(dep, "reindex")
        for n in range(queued):
            await ops.start_execution(analytics[n % len(analytics)], "reindex", queue=True)


async def poller_ticks(url: str, ticks: int, selected: str) -> dict[str, Any]:
    counter = Counter()
    per_tick: list[tuple[int, int]] = []
    marks: list[tuple[int, int, int]] = []
    snaps: list[Snapshot] = []

    def published(snap: Snapshot) -> None:
        marks.append(counter.mark())
        snaps.append(snap)

    async with client(url, counter) as c:
        poller = Poller(
            c, on_snapshot=published, fast_interval=1.0, slow_interval=DEFAULTS.slow_interval
        )
        poller.select(selected)
        task = asyncio.create_task(poller.run())
        while len(marks) < 4:  # the first ticks: the list, the detail, settling
            await asyncio.sleep(0.05)
        start, began = len(marks) - 1, time.perf_counter()
        while len(marks) < start + 1 + ticks:
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - began
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    window = marks[start:]
    for a, b in itertools.pairwise(window):
        per_tick.append((b[0] - a[0], b[1] - a[1]))
    received = window[-1][2] - window[0][2]
    last = snaps[-1]
    return {
        "requests": [r for r, _ in per_tick],
        "rows": [n for _, n in per_tick],
        "bytes_per_minute": received * 60.0 / seconds,
        "running_total": last.running_total,
        "running_listed": last.running_listed,
        "waiting_total": last.waiting_total,
    }


async def old_ticks(url: str, ticks: int, selected: str) -> dict[str, Any]:
    """The tick of before issue 9, replayed: its three requests, once a second."""
    counter = Counter()
    per_tick: list[tuple[int, int]] = []
    async with client(url, counter) as c:
        began = time.perf_counter()
        start = counter.mark()
        for _ in range(ticks):
            tick_start = time.perf_counter()
            before = counter.mark()
            await c.list_executions(statuses=sorted(UNFINISHED_STATES), size=1000)
            await c.list_executions(deployment_id=selected, size=50)
            await c.get_deployment(selected)
            after = counter.mark()
            per_tick.append((after[0] - before[0], after[1] - before[1]))
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick_start)))
        seconds = time.perf_counter() - began
        received = counter.mark()[2] - start[2]
    return {
        "requests": [r for r, _ in per_tick],
        "rows": [n for _, n in per_tick],
        "bytes_per_minute": received * 60.0 / seconds,
    }


async def first_events(url: str, exec_id: str, old_pages: int, repeats: int) -> dict[str, Any]:
    new: list[float] = []
    old_per_page: list[float] = []
    async with client(url) as c:
        total = (await c.list_events(exec_id, size=1)).total
        for _ in range(repeats):
            began = time.perf_counter()
            await c.get_execution(exec_id)
            tail = EventTail(c, exec_id)
            shown = await tail.open()
            assert shown, "no events"
            new.append(time.perf_counter() - began)
        # Before: pages of 100 from offset 0 until the end, before anything is shown.
        began = time.perf_counter()
        await c.get_execution(exec_id)
        offset = 0
        for _ in range(old_pages):
            page = await c.list_events(exec_id, offset=offset, size=100)
            offset += len(page.items)
        old_per_page.append((time.perf_counter() - began) / old_pages)
        # The deepest pages cost the most (OFFSET): time a few at the end too.
        began = time.perf_counter()
        for k in range(3):
            await c.list_events(exec_id, offset=max(0, total - 100 * (k + 1)), size=100)
        deep = (time.perf_counter() - began) / 3
    pages = -(-total // 100)
    estimate = pages * (old_per_page[0] + deep) / 2
    return {"events": total, "new": new, "old_pages_timed": old_pages, "old_estimate": estimate}


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=30)
    parser.add_argument("--queued", type=int, default=2000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--old-pages", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        data = Path(tmp) / "manager"
        proc = ManagerProcess(data=data, seed="scale:150", speed=0.01).start(timeout=300)
        proc.stop()
        exec_id = add_events(data, args.events)
        proc = ManagerProcess(
            data=data,
            seed="scale:150",
            speed=0.01,
            extra_args=["--max-concurrent-workflows", "50"],
        ).start(timeout=300)
        try:
            began = time.perf_counter()
            asyncio.run(load(proc.url, args.queued))
            print(
                f"loaded {args.queued} queued + 50 running in {time.perf_counter() - began:.1f} s"
            )
            selected = "dep-00005"
            new = asyncio.run(poller_ticks(proc.url, args.ticks, selected))
            old = asyncio.run(old_ticks(proc.url, args.ticks, selected))
            events = asyncio.run(first_events(proc.url, exec_id, args.old_pages, args.repeats))
        finally:
            proc.stop()

    print(f"fast ticks: {args.ticks} each, selected {selected}, medians (max)")
    for name, figures in (("before (replayed)", old), ("now", new)):
        print(
            f"  {name:<18} requests/tick {med(figures['requests']):5.1f} "
            f"({max(figures['requests'])})   rows/tick {med(figures['rows']):7.1f} "
            f"({max(figures['rows'])})   received {figures['bytes_per_minute'] / 1e6:7.2f} MB/min"
        )
    print(
        f"  ratios             requests {med(old['requests']) / med(new['requests']):.1f}x   "
        f"rows {med(old['rows']) / max(1.0, med(new['rows'])):.1f}x   "
        f"bytes {old['bytes_per_minute'] / max(1.0, new['bytes_per_minute']):.1f}x fewer now"
    )
    print(
        f"  counts shown       {new['running_total']:,} running "
        f"({new['running_listed']} listed), {new['waiting_total']:,} queued"
    )
    print(f"opening an execution with {events['events']:,} events: time to the first lines")
    print(
        f"  now                {med(events['new']) * 1000:8.1f} ms (median of {len(events['new'])})"
    )
    print(
        f"  before (estimated) {events['old_estimate']:8.1f} s  "
        f"({events['old_pages_timed']} pages from offset 0 timed, deepest pages timed, "
        "averaged over every page)"
    )
    ok = med(new["requests"]) <= 3 and med(new["rows"]) <= 150 and med(events["new"]) <= 0.5
    print("targets (<= 3 requests, <= 150 rows a tick, <= 0.5 s): " + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
