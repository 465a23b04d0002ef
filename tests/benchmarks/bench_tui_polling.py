"""Benchmark: what the idle and the busy TUI cost the manager and the machine
(not a pytest test).

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_polling.py [--idle 60] [--quiet 60] [--active 30]

Starts the embedded manager with the demo seed at speed 1 (real-life durations), then
runs the real app headless in a fresh process (`tui_runner.py poll`, default
intervals, built as `tui/cli.py` builds it). Once the deployments are shown and a few
seconds have settled, the runner counts every request of the app's client over an
idle window (`--idle`, also the window of the CPU figure), then starts `reindex` on
`analytics` with a separate client (not counted), waits for the poller to see it, and
counts again over `--active` seconds. Requests are counted by the client's transport
(which sees the query, to tell the two `/executions` lists apart) and cross-checked
with the client's `on_request` hook. CPU is `getrusage(RUSAGE_SELF)` of the app
process (all its threads) as a percentage of one core; the manager's CPU over the same
windows is read from /proc. Between the two, nothing having changed for over a
minute, the poller is quiet (a tick every 15 s, `tui/live/poller.py`): `--quiet`
seconds are counted the same way (the targets: 12 requests a minute and 0.5% of one
core). Total run time is about idle + quiet + active + 30 s; the manager is stopped and
its data directory removed at the end.

The poller's design, per tick: the active executions, the selected deployment's
executions, its detail when the selection changed, it has a running execution, one
ended, or the deployments list is due; the deployments list every 10 s. Ticks are 5 s
apart with nothing running (15 s once quiet), 1 s apart while something runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402

RUNNER = Path(__file__).with_name("tui_runner.py")


def report(name: str, window: dict) -> list[str]:
    seconds = window["seconds"]
    ticks = window["ticks"] or 1
    per_min = 60.0 / seconds
    lines = [
        f"{name}: {seconds:.1f} s, selected deployment {window['selected']!r}, "
        f"{window['active_at_end']} active execution(s) at the end",
        f"  ticks                 {window['ticks']:5d}   ({window['ticks'] * per_min:.1f}/min)",
        f"  requests              {window['requests']:5d}   "
        f"({window['requests'] * per_min:.1f}/min, {window['requests'] / ticks:.2f} per tick;"
        f" on_request hook saw {window['hook_requests']})",
    ]
    for kind, count in sorted(window["by_kind"].items(), key=lambda kv: -kv[1]):
        lines.append(f"    {kind:<44}{count:5d}   ({count * per_min:6.1f}/min)")
    cpu = 100.0 * window["cpu_seconds"] / seconds
    lines.append(f"  app CPU               {window['cpu_seconds']:.2f} s = {cpu:.2f}% of one core")
    if window["manager_cpu_seconds"] is not None:
        manager = window["manager_cpu_seconds"]
        lines.append(
            f"  manager CPU           {manager:.2f} s = {100.0 * manager / seconds:.2f}% of one"
            " core (includes its own work, e.g. running the workflow)"
        )
    over = [k for k, c in window["by_kind"].items() if c > window["ticks"] + 1]
    if over:
        lines.append(f"  MORE THAN ONE PER TICK: {', '.join(over)}")
    if cpu > 5.0 and name.startswith("idle"):
        lines.append("  IDLE CPU ABOVE 5% OF ONE CORE")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=60.0, help="idle window, seconds")
    parser.add_argument("--active", type=float, default=30.0, help="busy window, seconds")
    parser.add_argument(
        "--quiet",
        type=float,
        default=60.0,
        help="quiet window after the idle one (nothing changed for over a minute), seconds",
    )
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("--json", action="store_true", help="also print the raw result")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-tui-polling-") as tmp:
        manager = ManagerProcess(data=Path(tmp) / "data", speed=1.0).start()
        try:
            assert manager.proc is not None
            timeout = args.idle + args.quiet + args.active + 4 * args.settle + 120
            out = subprocess.run(
                [
                    sys.executable,
                    str(RUNNER),
                    "poll",
                    manager.url,
                    PASSWORDS["admin"],
                    "--idle",
                    str(args.idle),
                    "--active",
                    str(args.active),
                    "--quiet",
                    str(args.quiet),
                    "--settle",
                    str(args.settle),
                    "--manager-pid",
                    str(manager.proc.pid),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        finally:
            manager.stop()
    if out.returncode != 0 or not out.stdout.strip():
        print(out.stderr, file=sys.stderr)
        return 1
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if "error" in result:
        print(f"the scenario failed: {result['error']}", file=sys.stderr)
    design = result["design"]
    print(
        f"\nTUI polling, default intervals (fast {design['fast_interval']} s, slow "
        f"{design['slow_interval']} s, deployments every {design['deployments_interval']} s), "
        "demo seed, manager at speed 1\n"
    )
    windows = (
        ("idle", "idle (the first minute after start-up)"),
        ("quiet", "quiet (idle, nothing changed for over a minute)"),
        ("active", "reindex running on analytics"),
    )
    for name, label in windows:
        if name in result:
            print("\n".join(report(label, result[name])))
            print()
    print(
        f"whole run: {result['total_requests_transport']} requests "
        f"(on_request hook: {result['total_requests_hook']})"
    )
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
