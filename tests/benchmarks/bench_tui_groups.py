"""Benchmark: a group run of 1,000 deployments at concurrency 20, started and followed
in the app on the embedded manager (not a pytest test).

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_groups.py [--count 1000] [--window 30] [--keys 60]

The manager runs `--seed scale:N` (N installed deployments, blueprints webapp /
database / analytics in turn) at speed 1 with its request log in a file
(`--request-log` with `--request-log-bodies`, which adds each request's query string;
the log has no sizes and no times, so it is cut by byte offsets taken while the app
runs). The workflow is `check_status`, a built-in every deployment declares and may
run (all its node instances are started): one operation of about a second per node
instance, so a member takes a few seconds and the group, 20 at once, about two
minutes. The app runs headless in this process (120x36, default intervals: reads
every second while something runs), driven with Textual's pilot; every frame is
encoded as a terminal would get it (then dropped), so a refresh is paid in full.

* start: `*` marks every deployment, `s` opens the form (the 1,000 are read),
  `check_status` and concurrency 20 are set, `ctrl+s` shows the preflight (read
  again), `ctrl+s` confirms. Confirm to visible: from the confirm key to the refresh
  after the group screen first shows its read (progress and all N member rows),
  broken down into the PUT + POST (until the screen is pushed), the first read and
  its application. The preflight: `s` to the form drawn, and the form's submit to
  the preflight drawn with its N rows.
* following it for `--window` seconds: the group's requests in the manager's log
  (`GET /executions?_group_id=`, `/events?execution_group_id=`, `/execution-groups…`)
  per read of the group screen (a read's share: from its start to the next one's),
  cross-checked with the follower's own counter; the bytes of those answers per read
  (`Content-Length`, counted in the app's transport: the log has no sizes); every
  request of the app per second by kind, from the log.
* UI latency: `--keys` presses of `down` on the members table while the group runs,
  spaced at random, each from the key (given to the driver as a terminal's would be:
  `pilot.press` adds tens of ms of idle-waiting of its own) to the refresh after the
  cursor moved; `show_read` (a read applied to the table) and the once-a-second
  `on_clock` redraw of running durations, timed by wrapping them, with the garbage
  collection inside the slow ones (`gc.callbacks`); the cells each read changed and
  the table's re-sorts.

Figures are medians with min-max over the samples (the machine's noise), p90 / p99
nearest rank. One run takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual._compositor import CompositorUpdate  # noqa: E402
from textual.widgets import Input, OptionList  # noqa: E402

from tests.benchmarks.frames import refreshed, until  # noqa: E402
from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402
from tui.api.client import ManagerClient  # noqa: E402
from tui.app import CfyTuiApp  # noqa: E402
from tui.identity import Identity  # noqa: E402
from tui.screens.group import GroupScreen  # noqa: E402
from tui.screens.group_start import GroupStartScreen  # noqa: E402
from tui.screens.preflight import PreflightScreen  # noqa: E402
from tui.widgets.groups import MembersTable  # noqa: E402

WORKFLOW = "check_status"
CONCURRENCY = 20
SIZE = (120, 36)
MAX_PER_TICK = 3  # the bound on a tick's requests
SLOW_MS = 150.0  # a show_read or on_clock this long is reported with its GC share


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def spread(values: list[float], unit: str = "ms", digits: int = 1) -> str:
    """`median X (min-max a-b) unit, p90 p, p99 q`."""
    if not values:
        return "no sample"
    f = f"{{:.{digits}f}}"
    unit = f" {unit}" if unit else ""
    text = (
        f"median {f.format(statistics.median(values))}{unit}"
        f" ({f.format(min(values))}-{f.format(max(values))})"
    )
    if len(values) >= 10:
        text += f", p90 {f.format(percentile(values, 90))}, p99 {f.format(percentile(values, 99))}"
    return text + f"; n={len(values)}"


# -- the manager's request log ------------------------------------------------------------
class RequestLog:
    """The manager's `--request-log` file, read by byte offsets: an entry is written
    once its answer was sent, so what a read caused is found between its start's
    offset and the next read's."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def entries(self) -> list[tuple[int, dict[str, Any]]]:
        """(offset of the line, entry), every complete line."""
        import json

        data = self.path.read_bytes()
        found, at = [], 0
        while (end := data.find(b"\n", at)) >= 0:
            found.append((at, json.loads(data[at:end])))
            at = end + 1
        return found

    def between(self, start: int, end: int) -> list[dict[str, Any]]:
        return [e for at, e in self.entries() if start <= at < end]


def is_group_request(path: str, query: str) -> bool:
    """A request of the group screen's follower."""
    params = parse_qs(query)
    if path == "/api/v3.1/executions":
        return "_group_id" in params
    if path == "/api/v3.1/events":
        return "execution_group_id" in params
    return path.startswith("/api/v3.1/execution-groups")


ID_PATHS = re.compile(
    r"^/(deployments|executions|execution-groups|deployment-groups|blueprints|node-instances"
    r"|nodes|deployment-updates)/[^/]+"
)


def kind(entry: dict[str, Any]) -> str:
    """A label per kind of request: the path with ids folded, and which filters."""
    path = entry["path"].removeprefix("/api/v3.1")
    path = ID_PATHS.sub(lambda m: f"/{m.group(1)}/<id>", path)
    params = parse_qs(entry.get("query") or "", keep_blank_values=True)
    keys = sorted(k for k in params if not k.startswith("_") or k == "_group_id")
    if is_group_request(entry["path"], entry.get("query") or ""):
        path += " (group)"
    return f"{entry['method']} {path}" + (f"?{','.join(keys)}" if keys else "")


# -- the app, instrumented ----------------------------------------------------------------
class Probe:
    """What the app did: the group screen's reads and their application, frames."""

    def __init__(self, log: RequestLog) -> None:
        self.log = log
        # one per read: start (perf), log offset at start, end (perf), requests (app's)
        self.reads: list[dict[str, Any]] = []
        self.show_ms: list[float] = []
        self.clock_ms: list[float] = []
        self.table_ops: list[Counter[str]] = []  # per show_read: cells set, rows added...
        self.group_sent: list[tuple[float, int]] = []  # (perf, answer bytes) from transport
        self.mounted: float | None = None
        self.first_shown: float | None = None
        self.visible: asyncio.Event | None = None
        self._ops: Counter[str] | None = None
        self.key_waiter: asyncio.Event | None = None
        self.gc_pauses: list[tuple[float, float, int]] = []  # (start, end, generation)
        self.slow: list[tuple[str, float, float]] = []  # (what, start, end) over SLOW_MS
        self._gc_start = 0.0

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.append((self._gc_start, time.perf_counter(), info["generation"]))

    def gc_ms(self, start: float, end: float) -> float:
        """Milliseconds of garbage collection between start and end."""
        inside = [
            min(e, end) - max(b, start) for b, e, _ in self.gc_pauses if e > start and b < end
        ]
        return sum(inside) * 1000

    def install(self) -> None:
        probe = self
        read_once, show_read, on_clock = (
            GroupScreen.read_once,
            GroupScreen.show_read,
            GroupScreen.on_clock,
        )
        on_mount = GroupScreen.on_mount

        async def timed_read(self: GroupScreen) -> Any:
            read = {"start": time.perf_counter(), "offset": probe.log.offset()}
            before = self.follower.requests
            try:
                return await read_once(self)
            finally:
                read["end"] = time.perf_counter()
                read["requests"] = self.follower.requests - before
                probe.reads.append(read)

        def timed_show(self: GroupScreen, result: Any) -> None:
            probe._ops = Counter()
            start = time.perf_counter()
            show_read(self, result)
            probe.note("show_read", start, probe.show_ms)
            probe.table_ops.append(probe._ops)
            probe._ops = None
            progress = self.progress
            if (
                probe.first_shown is None
                and progress is not None
                and progress.total
                and self.table.row_count == progress.total
            ):
                probe.first_shown = time.perf_counter()
                event = probe.visible

                def drawn() -> None:
                    if event is not None:
                        event.set()

                self.app.call_after_refresh(drawn)

        def timed_clock(self: GroupScreen) -> None:
            start = time.perf_counter()
            on_clock(self)
            probe.note("on_clock", start, probe.clock_ms)

        def mounted(self: GroupScreen) -> None:
            probe.mounted = probe.mounted or time.perf_counter()
            on_mount(self)

        moved = MembersTable.watch_cursor_coordinate

        def cursor_moved(self: MembersTable, old: Any, new: Any) -> None:
            moved(self, old, new)
            waiter, probe.key_waiter = probe.key_waiter, None
            if waiter is not None:
                self.app.call_after_refresh(waiter.set)

        MembersTable.watch_cursor_coordinate = cursor_moved  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)
        GroupScreen.read_once = timed_read  # type: ignore[method-assign]
        GroupScreen.show_read = timed_show  # type: ignore[method-assign]
        GroupScreen.on_clock = timed_clock  # type: ignore[method-assign]
        GroupScreen.on_mount = mounted  # type: ignore[method-assign]
        for name in ("_set_cell", "add_row", "remove_row", "sort"):
            self._count(name)

    def note(self, what: str, start: float, into: list[float]) -> None:
        end = time.perf_counter()
        into.append((end - start) * 1000)
        if (end - start) * 1000 >= SLOW_MS:
            self.slow.append((what, start, end))

    def _count(self, name: str) -> None:
        probe = self
        original = getattr(MembersTable, name)

        def counted(self: MembersTable, *args: Any, **kw: Any) -> Any:
            if probe._ops is not None:
                probe._ops[name] += 1
            return original(self, *args, **kw)

        setattr(MembersTable, name, counted)


def make_app(url: str, probe: Probe) -> CfyTuiApp:
    class Transport(httpx.AsyncHTTPTransport):
        """Notes the size of the group's answers (the manager's log has none)."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if is_group_request(request.url.path, request.url.query.decode()):
                size = int(response.headers.get("content-length", -1))
                probe.group_sent.append((time.perf_counter(), size))
            return response

    class App(CfyTuiApp):
        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            # Headless skips turning the frame into escape sequences: do it anyway.
            if isinstance(renderable, CompositorUpdate) and not self._batch_count:
                renderable.render_segments(self.console)

    client = ManagerClient(
        url, username="admin", password=PASSWORDS["admin"], transport=Transport()
    )
    return App(client, Identity(url=url, tenant="default_tenant", user="admin"))


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


# -- the scenario ---------------------------------------------------------------------------
async def scenario(url: str, log: RequestLog, args: argparse.Namespace) -> dict[str, Any]:
    probe = Probe(log)
    probe.install()
    probe.visible = asyncio.Event()
    app = make_app(url, probe)
    out: dict[str, Any] = {"probe": probe}
    rng = random.Random(7)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main_screen
        deployments = main.query_one("#deployments")
        await until(pilot, lambda: deployments.row_count > 0, "the deployments", timeout=60.0)
        deployments.focus()
        await pilot.press("asterisk")
        await until(
            pilot, lambda: len(main.marks) == args.count, "every deployment marked", timeout=60.0
        )

        started = time.perf_counter()
        await pilot.press("s")
        await until(
            pilot, lambda: isinstance(app.screen, GroupStartScreen), "the form", timeout=60.0
        )
        await refreshed(app)
        out["form_ms"] = ms_since(started)
        options = app.screen.query_one("#group-workflows", OptionList)
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = names.index(WORKFLOW)
        await pilot.pause()
        app.screen.query_one("#group-concurrency", Input).value = str(CONCURRENCY)
        await pilot.pause()

        started = time.perf_counter()
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, PreflightScreen)
                and app.screen.query_one("#preflight-table").row_count == args.count
            ),
            "the preflight",
            timeout=60.0,
        )
        await refreshed(app)
        out["preflight_ms"] = ms_since(started)
        preflight: Any = app.screen
        out["verdicts"] = {str(k): v for k, v in preflight.plan.counts.items() if v}

        mark = log.offset()
        confirmed = time.perf_counter()
        await pilot.press("ctrl+s")
        await asyncio.wait_for(probe.visible.wait(), 60)
        out["confirm_ms"] = ms_since(confirmed)
        out["confirm"] = confirmed
        screen = app.screen
        assert isinstance(screen, GroupScreen), type(screen).__name__
        out["start_requests"] = [e for e in log.between(mark, log.offset()) if e["method"] != "GET"]

        # Following it: a settle, then the window.
        await pilot.pause(2.0)
        window_start, offset_start = time.perf_counter(), log.offset()
        await pilot.pause(args.window)
        window_end, offset_end = time.perf_counter(), log.offset()
        out["window"] = (window_start, window_end, offset_start, offset_end)
        out["counts_at_end"] = dict(screen.progress.counts) if screen.progress else {}
        out["gc_objects"] = len(gc.get_objects())

        # UI latency: `down` on the members table while the group runs.
        screen.table.focus()
        # The key goes to the driver as a terminal's would: `pilot.press` waits for the
        # process to look idle (tens of ms of sleeps of its own) before it returns.
        keys: list[float] = []
        for _ in range(args.keys):
            await asyncio.sleep(rng.uniform(0.1, 0.4))
            before = screen.table.cursor_row
            waiter = probe.key_waiter = asyncio.Event()
            pressed = time.perf_counter()
            app._driver.send_message(events.Key("down", None))  # type: ignore[union-attr]
            await asyncio.wait_for(waiter.wait(), 10)
            keys.append(ms_since(pressed))
            if screen.table.cursor_row != before + 1:
                raise RuntimeError("the cursor did not move down")
        out["keys_ms"] = keys
        progress = screen.progress
        out["final"] = progress
        out["fast_interval"] = app.fast_interval
        out["exception"] = getattr(app, "_exception", None)
    return out


def per_read(out: dict[str, Any], log: RequestLog) -> dict[str, list[float]]:
    """Each read whose share (to the next read's start) lies in the window: the
    group's requests the manager logged, the follower's own count, answer bytes."""
    probe: Probe = out["probe"]
    window_start, window_end, _, _ = out["window"]
    reads = sorted(probe.reads, key=lambda r: r["start"])
    entries = log.entries()
    figures: dict[str, list[float]] = {"logged": [], "counted": [], "bytes": [], "read_ms": []}
    for read, following in itertools.pairwise(reads):
        if read["start"] < window_start or following["start"] > window_end:
            continue
        logged = [
            e
            for at, e in entries
            if read["offset"] <= at < following["offset"]
            and is_group_request(e["path"], e.get("query") or "")
        ]
        sizes = [s for at, s in probe.group_sent if read["start"] <= at < following["start"]]
        figures["logged"].append(len(logged))
        figures["counted"].append(read["requests"])
        figures["bytes"].append(sum(sizes) if sizes and min(sizes) >= 0 else float("nan"))
        figures["read_ms"].append((read["end"] - read["start"]) * 1000)
    return figures


def line(label: str, value: str) -> None:
    print(f"  {label:<40} {value}")


def report(out: dict[str, Any], log: RequestLog, args: argparse.Namespace) -> None:
    probe: Probe = out["probe"]
    window_start, window_end, offset_start, offset_end = out["window"]
    seconds = window_end - window_start
    ticks = per_read(out, log)
    reads = sorted(probe.reads, key=lambda r: r["start"])
    starts = [r["start"] for r in reads if window_start <= r["start"] < window_end]
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(starts)]

    print(
        f"group run of {args.count:,} deployments ({WORKFLOW}, concurrency {CONCURRENCY}),"
        f" manager at speed 1, app {SIZE[0]}x{SIZE[1]}, fast interval {out['fast_interval']} s"
    )
    print("start (one sample each):")
    line("preflight verdicts", str(out["verdicts"]))
    line(f"s to the form drawn ({args.count:,} read)", f"{out['form_ms']:.0f} ms")
    line("form submit to the preflight drawn", f"{out['preflight_ms']:.0f} ms")
    confirm = out["confirm"]
    line("confirm to the group visible", f"{out['confirm_ms']:.0f} ms")
    if probe.mounted is not None:
        line("  confirm to the screen pushed", f"{(probe.mounted - confirm) * 1000:.0f} ms")
    for entry in out["start_requests"]:
        line(
            f"    {kind(entry)}",
            f"{entry['ms']:.0f} ms in the manager",
        )
    if reads and probe.first_shown is not None:
        line(
            "  first read (requests and parse)",
            f"{(reads[0]['end'] - reads[0]['start']) * 1000:.0f} ms",
        )
        line("  first show_read", f"{probe.show_ms[0]:.0f} ms")
        drawn = confirm + out["confirm_ms"] / 1000
        line("  applied to drawn", f"{(drawn - probe.first_shown) * 1000:.0f} ms")

    print(f"following it ({seconds:.1f} s window, {len(starts)} reads began in it):")
    line("between two reads' starts", spread(gaps, "ms", 0))
    logged = ticks["logged"]
    line("group requests per read (manager's log)", spread(logged, "", 1))
    line("group requests per read (follower)", spread(ticks["counted"], "", 1))
    line("answer bytes per read (transport)", spread([b / 1024 for b in ticks["bytes"]], "KB"))
    line("a read (requests and parse)", spread(ticks["read_ms"], "ms", 0))
    kinds = Counter(kind(e) for e in log.between(offset_start, offset_end))
    total = sum(kinds.values())
    line("every request of the app (manager's log)", f"{total} = {total / seconds:.2f}/s")
    for label, n in kinds.most_common():
        print(f"    {n / seconds:6.2f}/s  {label}")
    line("members at the window's end", str({k: v for k, v in out["counts_at_end"].items() if v}))

    print(f"group screen while it runs ({args.count:,} member rows):")
    line("down to drawn", spread(out["keys_ms"]))
    line("show_read (a read applied)", spread(probe.show_ms))
    line("on_clock (each second)", spread(probe.clock_ms))
    for what in ("show_read", "on_clock"):
        slow = [(b, e) for w, b, e in probe.slow if w == what]
        if slow:
            gc_share = [probe.gc_ms(b, e) for b, e in slow]
            line(
                f"  {what} over {SLOW_MS:.0f} ms",
                f"{len(slow)}, of which GC {spread(gc_share, 'ms', 0)}",
            )
    gen2 = [
        (e - b) * 1000 for b, e, g in probe.gc_pauses if g == 2 and window_start <= b < window_end
    ]
    line(f"full (gen 2) collections in the window: {len(gen2)}", spread(gen2, "ms", 0))
    line("  objects the collector tracks (window end)", f"{out['gc_objects']:,}")
    later = probe.table_ops[1:]  # the first read fills the table
    for name, label in (("_set_cell", "cells set"), ("add_row", "rows added"), ("sort", "sorts")):
        line(f"{label} per later read", spread([float(o.get(name, 0)) for o in later], "", 0))
    final = out["final"]
    if final is not None and final._median is not None:
        line(
            "at the end", f"{final.ended}/{final.total} ended, member median {final._median:.1f} s"
        )
    if out["exception"] is not None:
        line("the app raised", repr(out["exception"]))

    worst = max(logged, default=float("nan"))
    verdict = "ok" if worst <= MAX_PER_TICK else "OVER"
    print(
        f"verdict: at most {worst:.0f} group requests per read over {len(logged)} reads"
        f" (target <= {MAX_PER_TICK}): {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--keys", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tui-groups-") as tmp:
        log = RequestLog(Path(tmp) / "requests.jsonl")
        manager = ManagerProcess(
            data=Path(tmp) / "manager",
            seed=f"scale:{args.count}",
            speed=1.0,
            extra_args=["--request-log", str(log.path), "--request-log-bodies"],
        )
        started = time.perf_counter()
        manager.start(timeout=600)
        print(f"manager up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        try:
            out = asyncio.run(scenario(manager.url, log, args))
            report(out, log, args)
        finally:
            manager.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
