"""Benchmark: the TUI against a large installation, the manager's scale seed
(not a pytest test).

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_scale.py [--count 10000] [--data DIR] [--runs 3]
        [--gc-freeze] [--profile FILE] [--json]

The scale manager (`--seed scale:N`: N deployments, ten executions each) is seeded once
and that one process (and data directory) serves every run; `--data DIR` keeps the
directory between invocations (seeded only when empty). A demo manager runs beside it
for the comparisons. Both at speed 1, on loopback. The figures, against the issue's
targets:

* first paint: `tui_runner.py startup` (the app built as `tui/cli.py` builds it,
  headless 160x48), median of `--startup-runs` fresh processes per seed, round-robin
  scale / demo; "painted" is the refresh after the deployments table first got rows,
  from the moment the parent started the process (as in bench_tui_startup.py).
* filter keystroke: in a fresh app process (`--child interact`, default intervals,
  driven with Textual's pilot), `/` then `dep-0123` one key at a time; each key is
  timed from just before the pilot sends it to the refresh after the deployments table
  holds exactly the rows the manager answers for that prefix (fetched beforehand with
  a separate client). `escape` (back to the whole first page) is timed the same way,
  as is the last key of the string typed at `--burst-ms` per key without waiting.
* selection change: `down` in the deployments pane, timed until the refresh after the
  executions table shows the new deployment's executions (all of them that
  deployment's, the same as the poller's snapshot).
* memory: peak resident set (VmHWM) of each interaction process, read at its end.
* requests per tick: a fresh app per seed (`--child idle`), idle for `--idle` seconds
  after the start has settled, the two run side by side; every poll tick's request
  count (the poller's own count, cross-checked with the client's transport).

Latencies are medians and p90 (nearest rank) over all runs, with a breakdown of the
median: key to the start of the poll tick that served it, the tick's requests, the
message queue up to `apply_snapshot`, the apply itself, then the refresh. Headless
runs skip writing to a terminal; the interaction child still encodes every frame as a
terminal would (the escape sequences are built, then dropped), so the refresh is paid
in full. Garbage collection pauses inside each latency are shown too (`gc.callbacks`).

`--gc-freeze` (an experiment, about a minute more) also runs every interaction process
with `gc.freeze()` called once after the first page, round-robin with the plain runs,
and compares the two. `--profile FILE` writes the cProfile stats of one extra
interaction process (not counted in the figures). Run time: about two minutes, plus
seeding (about 10 s for 10,000).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "tui_runner.py"
SIZE = (160, 48)
FILTER = "dep-0123"

# The targets.
PAINT_BUDGET_MS = 1500.0
FILTER_BUDGET_MS = 300.0
SELECT_P99_BUDGET_MS = 100.0  # issue 14: selection p99 at 10,000 deployments
RSS_BUDGET_MB = 150.0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def memory() -> dict[str, float]:
    """This process's resident set now and at its peak, in MB (Linux)."""
    import resource

    found: dict[str, float] = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    found["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return found


# -- the child: one app process, driven with the pilot -------------------------------------
class Probe:
    """Instruments one app process: poll ticks, requests, and a waiter that notes when
    `MainScreen.apply_snapshot` first leaves the screen in a wanted state, then when the
    refresh after it has run."""

    def __init__(self) -> None:
        self.ticks: list[dict[str, Any]] = []
        self.requests: list[tuple[float, str]] = []  # (perf_counter at send, label)
        self.waiter: dict[str, Any] | None = None
        self.gc_pauses: list[tuple[float, float, int]] = []  # (start, end, generation)
        self._gc_start = 0.0

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.append((self._gc_start, time.perf_counter(), info["generation"]))

    def install(self) -> None:
        import asyncio
        import gc

        from tui.live.poller import Poller
        from tui.screens.main import MainScreen

        probe = self
        original_tick = Poller._tick
        original_apply = MainScreen.apply_snapshot

        async def _tick(self: Poller) -> None:
            start = time.perf_counter()
            await original_tick(self)
            probe.ticks.append(
                {"start": start, "end": time.perf_counter(), "requests": self._last_requests}
            )

        def apply_snapshot(self: MainScreen, snapshot: Any) -> None:
            start = time.perf_counter()
            original_apply(self, snapshot)
            waiter = probe.waiter
            if waiter is None or "rows" in waiter or not waiter["condition"](self):
                return
            waiter["apply"] = start
            waiter["rows"] = time.perf_counter()

            def painted() -> None:
                waiter["painted"] = time.perf_counter()
                waiter["done"].set()

            self.app.call_after_refresh(painted)

        gc.callbacks.append(self._on_gc)
        Poller._tick = _tick  # type: ignore[method-assign]
        MainScreen.apply_snapshot = apply_snapshot  # type: ignore[method-assign]
        self._event = asyncio.Event

    def arm(self, condition: Any) -> dict[str, Any]:
        self.waiter = {"condition": condition, "done": self._event()}
        return self.waiter

    def breakdown(self, waiter: dict[str, Any]) -> dict[str, Any]:
        """Milliseconds from the key (`t0`) to each step; the serving tick is the last
        one that began after the key and ended before the apply."""
        ms = 1000.0
        result: dict[str, Any] = {
            "total": (waiter["painted"] - waiter["t0"]) * ms,
            "rows": (waiter["rows"] - waiter["t0"]) * ms,
            "apply": (waiter["rows"] - waiter["apply"]) * ms,
            "paint": (waiter["painted"] - waiter["rows"]) * ms,
            "gc": sum(
                min(end, waiter["painted"]) - max(start, waiter["t0"])
                for start, end, _ in self.gc_pauses
                if end > waiter["t0"] and start < waiter["painted"]
            )
            * ms,
        }
        serving = [
            t for t in self.ticks if t["start"] >= waiter["t0"] and t["end"] <= waiter["apply"]
        ]
        if serving:
            tick = serving[-1]
            result.update(
                wait=(tick["start"] - waiter["t0"]) * ms,
                fetch=(tick["end"] - tick["start"]) * ms,
                queue=(waiter["apply"] - tick["end"]) * ms,
                tick_requests=tick["requests"],
                ticks_between=len(serving),
            )
        return result


def child_app(url: str, password: str, probe: Probe, encode_frames: bool) -> Any:
    """The app as `tui/cli.py` builds it (default intervals), with a counting transport."""
    import httpx
    from textual._compositor import CompositorUpdate
    from tui_runner import classify

    from tui.api.client import ManagerClient
    from tui.app import CfyTuiApp
    from tui.identity import Identity

    class CountingTransport(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            label = classify(request.method, request.url.path, request.url.query.decode())
            probe.requests.append((time.perf_counter(), label))
            return await super().handle_async_request(request)

    class App(CfyTuiApp):
        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            # Headless skips turning the frame into escape sequences: do it anyway.
            if (
                encode_frames
                and isinstance(renderable, CompositorUpdate)
                and self.is_headless
                and not self._batch_count
            ):
                renderable.render_segments(self.console)

    client = ManagerClient(url, username="admin", password=password, transport=CountingTransport())
    identity = Identity(url=url, tenant="default_tenant", user="admin")
    return App(client, identity)


async def expected_pages(url: str, password: str, page: int) -> dict[str, list[str]]:
    """Every deployment id the manager answers for each prefix of FILTER (and for no
    filter), in order, from a client of its own (not counted): the app shows the page
    that holds the cursor's deployment, so any page of these may be the right one."""
    from tui.api.client import ManagerClient

    client = ManagerClient(url, username="admin", password=password)
    try:
        pages = {}
        for n in range(len(FILTER) + 1):
            prefix = FILTER[:n]
            ids: list[str] = []
            while True:
                answer = await client.list_deployments(
                    size=1000, offset=len(ids), search=prefix or None, include=("id",)
                )
                ids += [d.id for d in answer.items]
                if not answer.items or len(ids) >= answer.total:
                    break
            pages[prefix] = ids
        return pages
    finally:
        await client.aclose()


async def wait_for(condition: Any, timeout: float, what: str) -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def child_interact(args: argparse.Namespace) -> dict[str, Any]:
    import asyncio
    import random

    probe = Probe()
    probe.install()
    app = child_app(args.url, args.password, probe, encode_frames=not args.no_encode)
    pages = asyncio.run(expected_pages(args.url, args.password, app.poller.deployments_page))
    rng = random.Random(args.seed)
    result: dict[str, Any] = {"select": [], "filter": [], "clear": [], "burst": []}

    async def measure(pilot: Any, key: str, condition: Any, timeout: float = 20.0) -> Any:
        waiter = probe.arm(condition)
        waiter["t0"] = time.perf_counter()
        await pilot.press(key)
        await asyncio.wait_for(waiter["done"].wait(), timeout)
        probe.waiter = None
        return probe.breakdown(waiter)

    def gap() -> float:
        return rng.uniform(0.15, 0.6)  # lands at a different point of the poll cycle

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            main = app.main_screen
            deployments = main.query_one("#deployments")
            await wait_for(lambda: deployments.row_count > 0, 60, "the first page")
            result["first_page_memory"] = memory()
            await asyncio.sleep(args.settle)
            if args.gc_freeze:  # the experiment: startup objects out of the collector's way
                import gc

                gc.freeze()
            deployments.focus()

            def shows_executions_of(target: str) -> Any:
                def condition(screen: Any) -> bool:
                    if screen.snapshot.selected != target:
                        return False
                    keys = screen.query_one("#executions").keys
                    return (
                        bool(keys)
                        and keys == [e.id for e in screen.snapshot.executions]
                        and all(screen._executions[k].deployment_id == target for k in keys)
                    )

                return condition

            def shows_page(prefix: str) -> Any:
                """The page of the filter's answer the app shows (the one that holds
                the cursor's deployment), whole and in order."""
                matching = pages[prefix]
                size = app.poller.deployments_page

                def condition(screen: Any) -> bool:
                    offset = screen.snapshot.deployments_offset
                    return (
                        screen.snapshot.search == prefix
                        and screen.query_one("#deployments").keys
                        == matching[offset : offset + size]
                    )

                return condition

            for _ in range(args.moves):
                target = deployments.keys[deployments.cursor_row + 1]
                found = await measure(pilot, "down", shows_executions_of(target))
                result["select"].append(found)
                await asyncio.sleep(gap())

            for _ in range(args.filter_rounds):
                await pilot.press("slash")
                for n in range(1, len(FILTER) + 1):
                    found = await measure(pilot, FILTER[n - 1], shows_page(FILTER[:n]))
                    found["prefix"] = FILTER[:n]
                    result["filter"].append(found)
                    await asyncio.sleep(gap())
                result["clear"].append(await measure(pilot, "escape", shows_page("")))
                await asyncio.sleep(gap())

            # The same string typed without waiting: time from the last key.
            for _ in range(args.filter_rounds):
                await pilot.press("slash")
                for char in FILTER[:-1]:
                    await pilot.press(char)
                    await asyncio.sleep(args.burst_ms / 1000)
                result["burst"].append(await measure(pilot, FILTER[-1], shows_page(FILTER)))
                await asyncio.sleep(gap())
                await measure(pilot, "escape", shows_page(""))
                await asyncio.sleep(gap())

            result["memory"] = memory()
            result["gc"] = [[g, (e - b) * 1000] for b, e, g in probe.gc_pauses]
            result["deployments_total"] = main.snapshot.deployments_total

    asyncio.run(scenario())
    return result


def child_idle(args: argparse.Namespace) -> dict[str, Any]:
    import asyncio

    probe = Probe()
    probe.install()
    app = child_app(args.url, args.password, probe, encode_frames=False)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        async with app.run_test(size=SIZE):
            main = app.main_screen
            deployments = main.query_one("#deployments")
            await wait_for(lambda: deployments.row_count > 0, 60, "the first page")
            await asyncio.sleep(args.settle)
            start = time.perf_counter()
            await asyncio.sleep(args.idle)
            end = time.perf_counter()
            ticks = []
            for tick in probe.ticks:
                if start <= tick["start"] and tick["end"] <= end:
                    kinds: dict[str, int] = {}
                    for at, label in probe.requests:
                        if tick["start"] <= at <= tick["end"]:
                            kinds[label] = kinds.get(label, 0) + 1
                    ticks.append(
                        {"requests": tick["requests"], "sent": sum(kinds.values()), "kinds": kinds}
                    )
            result.update(
                seconds=end - start,
                ticks=ticks,
                window_requests=sum(1 for at, _ in probe.requests if start <= at <= end),
                requests_per_tick=app.poller.requests_per_tick,
                deployments_total=main.snapshot.deployments_total,
                rows=deployments.row_count,
                selected=main.snapshot.selected,
                memory=memory(),
            )

    asyncio.run(scenario())
    return result


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("interact", "idle"))
    parser.add_argument("url")
    parser.add_argument("password")
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--filter-rounds", type=int, default=2)
    parser.add_argument("--burst-ms", type=float, default=120.0)
    parser.add_argument("--idle", type=float, default=22.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-encode", action="store_true")
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--profile", default=None, help="write cProfile stats to this file")
    args = parser.parse_args(argv)
    run = child_interact if args.mode == "interact" else child_idle
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(run, args)
        profiler.dump_stats(args.profile)
    else:
        result = run(args)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


# -- the parent ---------------------------------------------------------------------------
def child_command(mode: str, url: str, *extra: str) -> list[str]:
    from tests.manager_process import PASSWORDS

    return [sys.executable, __file__, "--child", mode, url, PASSWORDS["admin"], *extra]


def last_json(out: str, err: str, what: str) -> dict[str, Any]:
    lines = out.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{what} printed nothing:\n{err[-3000:]}")
    return json.loads(lines[-1])


def startup_painted(url: str) -> float:
    from tests.manager_process import PASSWORDS

    env = dict(os.environ, CFY_BENCH_T0_NS=str(time.monotonic_ns()))
    out = subprocess.run(
        [sys.executable, str(RUNNER), "startup", url, PASSWORDS["admin"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    result = last_json(out.stdout, out.stderr, "tui_runner.py startup")
    if result["rows"] < 5:
        raise RuntimeError(f"painted with {result['rows']} rows only: {result}")
    return float(result["marks"]["painted"])


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.0f} / {percentile(values, 90):.0f} ms"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child_main(sys.argv[2:])
    from tests.manager_process import ManagerProcess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000, help="deployments of the seed")
    parser.add_argument("--data", type=Path, default=None, help="keep the scale data here")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="interaction processes")
    parser.add_argument(
        "--moves", type=int, default=40, help="selection moves per process (3 runs: n=120)"
    )
    parser.add_argument("--filter-rounds", type=int, default=2, help="per process")
    parser.add_argument("--idle", type=float, default=22.0, help="idle window, seconds")
    parser.add_argument("--no-encode", action="store_true", help="skip frame encoding")
    parser.add_argument(
        "--profile", type=Path, default=None, help="write cProfile stats of an extra run here"
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: also run each interaction process with gc.freeze() after the first"
        " page (round-robin), and compare",
    )
    parser.add_argument("--json", action="store_true", help="also print the raw results")
    args = parser.parse_args()

    raw: dict[str, Any] = {
        "startup": {"scale": [], "demo": []},
        "interact": [],
        "interact_gc_freeze": [],
        "idle": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-tui-scale-") as tmp:
        data = args.data or Path(tmp) / "scale"
        started = time.perf_counter()
        scale = ManagerProcess(data=data, seed=f"scale:{args.count}", speed=1.0)
        scale.start(timeout=600)
        seed_s = time.perf_counter() - started
        demo = ManagerProcess(data=Path(tmp) / "demo", seed="demo", speed=1.0).start()
        print(f"scale manager up in {seed_s:.1f} s ({data})", file=sys.stderr)
        try:
            for run in range(args.startup_runs):
                raw["startup"]["scale"].append(startup_painted(scale.url))
                raw["startup"]["demo"].append(startup_painted(demo.url))
                print(f"startup round {run + 1}/{args.startup_runs}", file=sys.stderr)

            for run in range(args.runs):
                extra = ["--moves", str(args.moves), "--filter-rounds", str(args.filter_rounds)]
                extra += ["--seed", str(run)] + (["--no-encode"] if args.no_encode else [])
                out = subprocess.run(
                    child_command("interact", scale.url, *extra),
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                raw["interact"].append(last_json(out.stdout, out.stderr, "interact"))
                if args.gc_freeze:
                    out = subprocess.run(
                        child_command("interact", scale.url, *extra, "--gc-freeze"),
                        capture_output=True,
                        text=True,
                        timeout=300,
                    )
                    found = last_json(out.stdout, out.stderr, "interact --gc-freeze")
                    raw["interact_gc_freeze"].append(found)
                print(f"interaction run {run + 1}/{args.runs}", file=sys.stderr)
            if args.profile:  # an extra run, not in the figures: the profiler slows it
                subprocess.run(
                    child_command("interact", scale.url, "--profile", str(args.profile)),
                    capture_output=True,
                    timeout=600,
                    check=True,
                )
                print(f"cProfile stats of an extra run: {args.profile}", file=sys.stderr)

            procs = {
                name: subprocess.Popen(
                    child_command("idle", manager.url, "--idle", str(args.idle)),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for name, manager in (("scale", scale), ("demo", demo))
            }
            for name, proc in procs.items():
                out_text, err_text = proc.communicate(timeout=args.idle + 120)
                raw["idle"][name] = last_json(out_text, err_text, f"idle {name}")
        finally:
            scale.stop()
            demo.stop()

    report(raw, args, seed_s)
    if args.json:
        print(json.dumps(raw, indent=2))
    return 0


def report(raw: dict[str, Any], args: argparse.Namespace, seed_s: float) -> None:
    interact = raw["interact"]
    select = [m for r in interact for m in r["select"]]
    keys = [m for r in interact for m in r["filter"]]
    clears = [m for r in interact for m in r["clear"]]
    bursts = [m for r in interact for m in r["burst"]]
    peak = max(r["memory"]["VmHWM"] for r in interact)
    idle_scale, idle_demo = raw["idle"]["scale"], raw["idle"]["demo"]
    total = interact[0]["deployments_total"]

    paint_scale = statistics.median(raw["startup"]["scale"])
    paint_demo = statistics.median(raw["startup"]["demo"])
    per_tick_scale = [t["requests"] for t in idle_scale["ticks"]]
    per_tick_demo = [t["requests"] for t in idle_demo["ticks"]]
    same_requests = (
        bool(per_tick_scale)
        and bool(per_tick_demo)
        and max(per_tick_scale) <= max(per_tick_demo)
        and set(per_tick_scale) <= set(per_tick_demo)
    )

    def verdict(ok: bool) -> str:
        return "pass" if ok else "MISS"

    def latency(values: list[dict[str, Any]], budget: float, on: str) -> tuple[str, str]:
        """Judged `on` the median (p90 and p99 beside it) or on the p99 (nearest rank:
        below 100 samples it is the maximum)."""
        totals = [v["total"] for v in values]
        if not totals:
            return "not measured (n=0)", "-"
        med, p90, p99 = statistics.median(totals), percentile(totals, 90), percentile(totals, 99)
        n = len(totals)
        if on == "p99":
            text = (
                f"p99 {p99:.0f} ms (median {med:.0f}, p90 {p90:.0f}, max {max(totals):.0f}; n={n})"
            )
            return text, verdict(p99 <= budget)
        text = f"median {med:.0f} ms, p90 {p90:.0f}, p99 {p99:.0f} (n={n})"
        return text, verdict(med <= budget) + ("" if p90 <= budget else " (p90 over)")

    rows = [
        (
            f"first paint <= {PAINT_BUDGET_MS / 1000:.1f} s",
            f"median {paint_scale:.0f} ms (demo {paint_demo:.0f} ms, "
            f"x{paint_scale / paint_demo:.2f}; n={len(raw['startup']['scale'])})",
            verdict(paint_scale <= PAINT_BUDGET_MS),
        ),
        (
            f"filter key -> list <= {FILTER_BUDGET_MS:.0f} ms",
            *latency(keys, FILTER_BUDGET_MS, "median"),
        ),
        (
            f"selection -> executions p99 <= {SELECT_P99_BUDGET_MS:.0f} ms",
            *latency(select, SELECT_P99_BUDGET_MS, "p99"),
        ),
        (
            f"resident memory < {RSS_BUDGET_MB:.0f} MB",
            f"peak VmHWM {peak:.0f} MB (demo idle app "
            f"{idle_demo['memory']['VmHWM']:.0f} MB, x{peak / idle_demo['memory']['VmHWM']:.2f})",
            verdict(peak < RSS_BUDGET_MB),
        ),
        (
            "requests per tick = demo",
            f"scale {per_tick_scale} vs demo {per_tick_demo}",
            verdict(same_requests),
        ),
    ]
    print(
        f"\nTUI at scale: {total} deployments ({args.count} seeded, scale manager up in "
        f"{seed_s:.1f} s), {os.cpu_count()} cores, python {sys.version.split()[0]}\n"
    )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    head = ("target", "measured", "result")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print("\nlatency: the filter is judged on its median, the selection on its p99.")

    print("\nWhere the time goes (medians, ms):")
    print("  step                     wait  fetch  queue  apply  paint  total  | gc     n")
    steps = ("wait", "fetch", "queue", "apply", "paint", "total", "gc")
    groups = [
        ("selection -> executions", select),
        ("filter key -> list", keys),
        ("escape -> whole page", clears),
        (f"burst: last key ({args.filter_rounds}/run)", bursts),
    ]
    for name, values in groups:
        cells = []
        for step in steps:
            found = [v[step] for v in values if step in v]
            cells.append(f"{statistics.median(found):6.0f}" if found else "   n/a")
        cells.insert(-1, "|")
        print(f"  {name:<24}{' '.join(cells)}  {len(values):3d}")
    print(
        "  wait: key to the start of the serving poll tick; fetch: that tick's requests;\n"
        "  queue: tick end to apply_snapshot; apply: apply_snapshot; paint: to the refresh;\n"
        "  gc: garbage collection pauses inside the total (already counted in the steps)."
    )
    slowest = sorted([*select, *keys], key=lambda v: -v["total"])[:5]
    print(
        "  slowest five (total: wait/fetch/apply/paint, gc): "
        + "; ".join(
            f"{v['total']:.0f}: {v.get('wait', 0):.0f}/{v.get('fetch', 0):.0f}/"
            f"{v['apply']:.0f}/{v['paint']:.0f}, gc {v['gc']:.0f}"
            for v in slowest
        )
    )
    pauses = [ms for r in interact for g, ms in r["gc"] if g == 2]
    if pauses:
        print(
            f"  full (gen 2) collections: {len(pauses)} over {len(interact)} runs, "
            f"median {statistics.median(pauses):.0f} ms, max {max(pauses):.0f} ms"
        )
    by_prefix: dict[str, list[float]] = {}
    for m in keys:
        by_prefix.setdefault(m["prefix"], []).append(m["total"])
    print(
        "  per prefix (median ms): "
        + ", ".join(f"{p!r} {statistics.median(v):.0f}" for p, v in by_prefix.items())
    )
    first = interact[0]["first_page_memory"]["VmHWM"]
    per_run = ", ".join(f"{r['memory']['VmHWM']:.0f}" for r in interact)
    print(
        f"\nmemory: VmHWM {first:.0f} MB at the first page, {peak:.0f} MB after the interactions"
        f" (per run: {per_run} MB)"
    )
    if raw["interact_gc_freeze"]:
        print("\nExperiment, same runs round-robin: gc.freeze() once after the first page")
        for name, runs in (("as is", interact), ("gc.freeze()", raw["interact_gc_freeze"])):
            moves = [m["total"] for r in runs for m in r["select"]]
            typed = [m["total"] for r in runs for m in r["filter"]]
            full = [ms for r in runs for g, ms in r["gc"] if g == 2]
            print(
                f"  {name:<12} selection {fmt_ms(moves)}, filter key {fmt_ms(typed)}, "
                f"{len(full)} full collections (median "
                f"{statistics.median(full) if full else 0:.0f} ms, max "
                f"{max(full, default=0):.0f} ms), peak VmHWM "
                f"{max(r['memory']['VmHWM'] for r in runs):.0f} MB"
            )
        print("  (median / p90)")
    for name, idle in (("scale", idle_scale), ("demo", idle_demo)):
        kinds: dict[str, int] = {}
        for tick in idle["ticks"]:
            for kind, count in tick["kinds"].items():
                kinds[kind] = kinds.get(kind, 0) + count
        sent = [t["sent"] for t in idle["ticks"]]
        print(
            f"idle {name}: {idle['seconds']:.0f} s, {len(idle['ticks'])} ticks, requests per"
            f" tick {[t['requests'] for t in idle['ticks']]} (transport saw {sent}), "
            f"{idle['deployments_total']} deployments, {idle['rows']} rows shown"
        )
        for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
            print(f"    {kind:<44}{count:4d}")


if __name__ == "__main__":
    sys.exit(main())
