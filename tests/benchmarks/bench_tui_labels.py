"""Benchmark: a label filter and the executions of every deployment, at scale (not a
pytest test).

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_labels.py [--count 10000] [--runs 9] [--window 12]

A scale manager (`--seed scale:N`: N deployments labelled env/region/team, ten
executions each) and a demo manager, both at speed 1 on loopback. The app runs
headless in this process (160x48, default intervals), driven with Textual's pilot.

* label filter: `/` then a label filter pasted in one piece (`env=prod
  region=eu-west`, ...); timed from the paste to the refresh after the deployments
  table holds exactly the first page the manager answers for that filter (read
  beforehand with a client of its own); then `escape` and the whole list again. The
  poll's follow-up for the row now under the cursor (its workflows and executions)
  is not counted: it comes after the filtered list is on screen.
  Medians and p90 (nearest rank) over `--runs` filters.
* executions of every deployment: the `x` (running now) and `X` (history) screens,
  each left open for `--window` seconds on each manager; the requests they made
  (classified on the wire by their `_include`, which no other read uses) divided by
  their reads. The target: one request per read, whatever the fleet's size.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.frames import refreshed, until  # noqa: E402
from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402
from tui.api.client import ManagerClient  # noqa: E402
from tui.app import CfyTuiApp  # noqa: E402
from tui.identity import Identity  # noqa: E402
from tui.live import deployment_filter  # noqa: E402

FILTERS = ("env=prod region=eu-west", "team=payments env=staging", "env=dev", "region=ap-south")
TARGET_MS = 300.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class Counting(httpx.AsyncHTTPTransport):
    """Counts the executions reads of the fleet screen (their `_include` names the
    tenant, which the poller's never does)."""

    fleet = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        query = request.url.query.decode()
        if request.url.path.endswith("/executions") and "tenant_name" in query:
            Counting.fleet += 1
        return await super().handle_async_request(request)


def make_app(url: str) -> CfyTuiApp:
    client = ManagerClient(url, username="admin", password=PASSWORDS["admin"], transport=Counting())
    return CfyTuiApp(client, Identity(url=url, tenant="default_tenant", user="admin"))


async def expected(url: str, text: str, page: int) -> list[str]:
    client = ManagerClient(url, username="admin", password=PASSWORDS["admin"])
    try:
        answer = await client.list_deployments(
            size=page, where=deployment_filter.parse(text) if text else None
        )
        return [d.id for d in answer.items]
    finally:
        await client.aclose()


async def label_filter(url: str, runs: int) -> list[float]:
    app = make_app(url)
    took: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.main_screen
        table = screen.query_one("#deployments")
        await until(pilot, lambda: table.row_count > 0, "the first page")
        page = app.poller.deployments_page
        for run in range(runs):
            text = FILTERS[run % len(FILTERS)]
            wanted = await expected(url, text, page)
            await pilot.press("slash")
            field = screen.query_one("#filter")
            started = time.perf_counter()
            field.value = text  # pasted: one change
            await until(pilot, lambda w=wanted: table.keys == w, f"the rows of {text}")
            await refreshed(app)  # the refresh that draws them
            took.append((time.perf_counter() - started) * 1000)
            await pilot.press("escape")  # back to the page that holds the cursor's row
            await until(
                pilot, lambda: not screen.snapshot.search and table.row_count, "the whole list"
            )
    return took


async def fleet_cost(url: str, key: str, window: float) -> tuple[int, int]:
    app = make_app(url)
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.main_screen.query_one("#deployments")
        await until(pilot, lambda: table.row_count > 0, "the first page")
        await pilot.press(key)
        await until(pilot, lambda: type(app.screen).__name__ == "FleetScreen", "the screen")
        screen: Any = app.screen
        await until(pilot, lambda: screen.reads > 0 and not screen._reading, "a first read")
        before_requests, before_reads = Counting.fleet, screen.reads
        await pilot.pause(window)
        await until(pilot, lambda: not screen._reading, "the last read")
        return Counting.fleet - before_requests, screen.reads - before_reads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--window", type=float, default=12.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tui-labels-") as tmp:
        started = time.perf_counter()
        scale = ManagerProcess(data=Path(tmp) / "scale", seed=f"scale:{args.count}", speed=1.0)
        scale.start(timeout=600)
        print(f"scale manager up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        demo = ManagerProcess(data=Path(tmp) / "demo", seed="demo", speed=1.0).start()
        try:
            took = asyncio.run(label_filter(scale.url, args.runs))
            costs = {
                (name, key): asyncio.run(fleet_cost(url, key, args.window))
                for name, url in (("scale", scale.url), ("demo", demo.url))
                for key in ("x", "X")
            }
        finally:
            scale.stop()
            demo.stop()
    print(f"label filter at {args.count:,} deployments, paste to rows drawn ({len(took)} runs):")
    print(
        f"  median {statistics.median(took):.0f} ms, p90 {percentile(took, 90):.0f} ms,"
        f" min {min(took):.0f}, max {max(took):.0f} (target {TARGET_MS:.0f} ms)"
    )
    print("executions of every deployment, requests per read:")
    for (name, key), (requests, reads) in costs.items():
        view = "running now" if key == "x" else "history"
        deployments = f"{args.count:,}" if name == "scale" else "6"
        ratio = requests / reads if reads else float("nan")
        counted = f"{requests} requests / {reads} reads = {ratio:.2f}"
        print(f"  {view:<12} {deployments:>7} deployments: {counted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
