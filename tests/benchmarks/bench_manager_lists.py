"""Benchmark: the embedded manager's list endpoints at scale (not a pytest test).

Run from the repository root:

    python tests/benchmarks/bench_manager_lists.py [--count 10000] [--reps 200]

Starts `python -m tui.manager --seed scale:N` (N deployments, ten executions each)
in a temporary data directory, reports how long seeding + start-up took (and a
second start-up on the seeded data), then times over the loopback socket the list
requests the TUI makes, each with the headers a real client sends, and prints
p50 / p99 / mean latency per request (a label search and a saved filter among them:
the first page of deployments matching two label rules). The manager is stopped and
the data directory removed at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402

DEPLOYMENT_INCLUDE = (
    "id,display_name,blueprint_id,latest_execution,latest_execution_status,"
    "latest_execution_workflow_id,deployment_status,installation_status"
)
ACTIVE_STATUSES = (
    "pending",
    "started",
    "queued",
    "cancelling",
    "force_cancelling",
    "kill_cancelling",
)
# Thresholds of the issue: seeding in seconds, TUI lists well under a frame budget.
SEED_BUDGET_S = 10.0
P50_BUDGET_MS = 50.0

Params = list[tuple[str, str | int]]
# Two label rules of the scale seed's labels (see `seed.scale_labels`): production
# deployments in two of its four regions, 1 in 5 of the fleet.
LABEL_RULES = [
    {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"},
    {"key": "region", "values": ["eu-west", "eu-central"], "operator": "any_of", "type": "label"},
]
SAVED_FILTER = "bench-prod-eu"


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(pct / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


class Case:
    """One kind of request: `make(i)` gives the path and query of repetition `i`."""

    def __init__(
        self,
        name: str,
        path: str,
        make: Callable[[int], Params],
        reps: int,
        tui: bool = True,
        body: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.make = make
        self.reps = reps
        self.tui = tui
        self.body = body  # a POST with this JSON body (a search), else a GET
        self.times_ms: list[float] = []
        self.items: list[int] = []
        self.total: int | None = None
        self.nbytes = 0

    def run(self, client: httpx.Client, warmup: int) -> None:
        if not self.tui:
            warmup = min(warmup, 3)  # the slow reference request: a short warm-up
        for i in range(warmup):
            self._one(client, i, record=False)
        for i in range(self.reps):
            self._one(client, warmup + i, record=True)

    def _one(self, client: httpx.Client, i: int, record: bool) -> None:
        params = self.make(i)
        started = time.perf_counter()
        if self.body is None:
            response = client.get(self.path, params=params)
        else:
            response = client.post(self.path, params=params, json=self.body)
        body = response.content
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{self.name}: HTTP {response.status_code}: {body[:300]!r}")
        if record:
            data = response.json()
            self.times_ms.append(elapsed)
            self.items.append(len(data["items"]))
            self.total = data["metadata"]["pagination"]["total"]
            self.nbytes = len(body)


def build_cases(count: int, latest: list[str], reps: int, ref_reps: int) -> list[Case]:
    rng = random.Random(42)
    offsets = [rng.randrange(0, max(count - 50, 1)) for _ in range(reps * 2)]
    deps = [f"dep-{rng.randrange(count):05d}" for _ in range(reps * 2)]
    # Substrings of ids: a digit prefix matching 10 deployments, so each search differs.
    searches = [f"-{rng.randrange(max(count // 10, 1)):04d}" for _ in range(reps * 2)]
    execs = [latest[rng.randrange(len(latest))] for _ in range(reps * 2)]

    def pick(seq: list, i: int):  # type: ignore[no-untyped-def]
        return seq[i % len(seq)]

    def dep_page(i: int) -> Params:
        return [
            ("_size", 50),
            ("_offset", pick(offsets, i)),
            ("_sort", "id"),
            ("_include", DEPLOYMENT_INCLUDE),
        ]

    def dep_first_1000(i: int) -> Params:
        # What the TUI's poller asks for by default: the first 1000, two more fields.
        return [
            ("_size", 1000),
            ("_offset", 0),
            ("_sort", "id"),
            ("_include", DEPLOYMENT_INCLUDE + ",tenant_name,created_at"),
        ]

    def dep_search(i: int) -> Params:
        return [
            ("_size", 50),
            ("_offset", 0),
            ("_sort", "id"),
            ("_include", DEPLOYMENT_INCLUDE),
            ("_search", pick(searches, i)),
        ]

    def active(i: int) -> Params:
        return [
            *(("status", s) for s in ACTIVE_STATUSES),
            ("_size", 1000),
            ("_include_system_workflows", "false"),
        ]

    def active_sorted(i: int) -> Params:
        return [*active(i), ("_sort", "-created_at")]

    def dep_execs(i: int) -> Params:
        return [
            ("deployment_id", pick(deps, i)),
            ("_sort", "-created_at"),
            ("_size", 50),
            ("_include_system_workflows", "false"),
        ]

    def events(i: int) -> Params:
        return [
            ("execution_id", pick(execs, i)),
            ("type", "cloudify_event"),
            ("type", "cloudify_log"),
            ("_sort", "reported_timestamp"),
            ("_offset", 0),
            ("_size", 100),
        ]

    def cli_list(i: int) -> Params:
        return [("_size", 1000), ("_sort", "created_at")]

    def label_page(i: int) -> Params:
        return [("_size", 50), ("_offset", 0), ("_include", DEPLOYMENT_INCLUDE + ",labels")]

    def saved_filter_page(i: int) -> Params:
        return [*label_page(i), ("_filter_id", SAVED_FILTER)]

    return [
        Case("deployments page (50, _include, _sort=id)", "/deployments", dep_page, reps),
        Case("deployments page + _search", "/deployments", dep_search, reps),
        Case("deployments first 1000 (poller, _include)", "/deployments", dep_first_1000, reps),
        Case("active executions (6 statuses)", "/executions", active, reps),
        Case("active executions, _sort=-created_at", "/executions", active_sorted, reps),
        Case("one deployment's executions", "/executions", dep_execs, reps),
        Case("one execution's events (100)", "/events", events, reps),
        Case(
            "search: 2 label rules, first page (50)",
            "/searches/deployments",
            label_page,
            reps,
            body={"filter_rules": LABEL_RULES},
        ),
        Case("saved filter (_filter_id), first page", "/deployments", saved_filter_page, reps),
        Case(
            "cfy CLI: deployments list (1000, full)",
            "/deployments",
            cli_list,
            ref_reps,
            tui=False,
        ),
    ]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def start_manager(data: Path, seed: str) -> tuple[ManagerProcess, float, float | None]:
    """Start the manager; returns it, the wall time to listening and its CPU time."""
    started = time.perf_counter()
    proc = ManagerProcess(data=data, seed=seed, speed=1.0).start(timeout=600)
    wall = time.perf_counter() - started
    assert proc.proc is not None
    return proc, wall, cpu_seconds(proc.proc.pid)


def latest_executions(client: httpx.Client, count: int, sample: int) -> list[str]:
    """Latest execution ids (the ones with events) of a spread of deployments."""
    ids: list[str] = []
    step = max(count // sample, 1)
    for offset in range(0, count, step * 50):
        response = client.get(
            "/deployments",
            params={
                "_size": 50,
                "_offset": offset,
                "_sort": "id",
                "_include": "id,latest_execution",
            },
        )
        response.raise_for_status()
        ids.extend(d["latest_execution"] for d in response.json()["items"] if d["latest_execution"])
        if len(ids) >= sample:
            break
    if not ids:
        raise RuntimeError("no deployment has a latest execution")
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000, help="deployments to seed")
    parser.add_argument("--reps", type=int, default=200, help="timed requests per TUI case")
    parser.add_argument("--ref-reps", type=int, default=30, help="timed full CLI lists")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per case")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cfy-tui-bench-") as tmp:
        data = Path(tmp) / "manager"
        proc, seed_s, seed_cpu = start_manager(data, f"scale:{args.count}")
        try:
            proc.stop()
            proc, restart_s, restart_cpu = start_manager(data, f"scale:{args.count}")
            client = httpx.Client(
                base_url=proc.api,
                auth=("admin", PASSWORDS["admin"]),
                headers={"Tenant": "default_tenant", "Content-Type": "application/json"},
                timeout=60,
            )
            with client:
                latest = latest_executions(client, args.count, 200)
                client.put(
                    f"/filters/deployments/{SAVED_FILTER}", json={"filter_rules": LABEL_RULES}
                ).raise_for_status()
                cases = build_cases(args.count, latest, args.reps, args.ref_reps)
                bench_started = time.perf_counter()
                for case in cases:
                    case.run(client, args.warmup)
                bench_s = time.perf_counter() - bench_started
        finally:
            proc.stop()
        size = sum(f.stat().st_size for f in data.iterdir() if f.is_file())

    def cpu(value: float | None) -> str:
        return "" if value is None else f"  (manager CPU {value:.2f} s)"

    print()
    print(
        f"embedded manager, --seed scale:{args.count} "
        f"({args.count} deployments, {args.count * 10} executions), "
        f"Python {sys.version.split()[0]}"
    )
    flag = "" if seed_s <= SEED_BUDGET_S else f"   > {SEED_BUDGET_S:.0f} s budget"
    print(f"  seeding + start-up (launch to listening): {seed_s:7.2f} s{cpu(seed_cpu)}{flag}")
    print(f"  start-up on the seeded data:              {restart_s:7.2f} s{cpu(restart_cpu)}")
    print(f"  data directory after seeding:             {size / 1e6:7.1f} MB")
    print()
    header = (
        f"  {'request':<42} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} "
        f"{'items':>6} {'total':>7} {'KB':>7}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    slow = []
    for case in cases:
        values = sorted(case.times_ms)
        p50 = statistics.median(values)
        p99 = percentile(values, 99)
        mean = statistics.fmean(values)
        mark = ""
        if case.tui and p50 > P50_BUDGET_MS:
            mark = "  SLOW"
            slow.append(case.name)
        items = round(statistics.fmean(case.items))
        print(
            f"  {case.name:<42} {len(values):>4} {p50:>8.2f} {p99:>8.2f} {mean:>8.2f} "
            f"{items:>6} {case.total!s:>7} {case.nbytes / 1024:>7.1f}{mark}"
        )
    print()
    print(f"  timed section: {bench_s:.1f} s; warm-up {args.warmup} requests per case")
    if slow or seed_s > SEED_BUDGET_S:
        print(
            f"  over budget (seed > {SEED_BUDGET_S:.0f} s or p50 > {P50_BUDGET_MS:.0f} ms): "
            + ", ".join(slow + (["seeding"] if seed_s > SEED_BUDGET_S else []))
        )
    else:
        print(
            f"  within budget: seeding <= {SEED_BUDGET_S:.0f} s, "
            f"every TUI request p50 <= {P50_BUDGET_MS:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
