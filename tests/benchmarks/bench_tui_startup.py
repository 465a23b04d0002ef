"""Benchmark: how long the TUI takes to show the deployments (not a pytest test).

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_startup.py [--runs 5] [--no-pty] [--no-demo]

Every figure is the median of `--runs` fresh processes, measured round-robin (one of
each per round) so that load on a shared machine hits them alike:

* `python -c pass` and `python -c "import textual.app"`: the interpreter alone and
  the import any Textual app pays.
* a minimal Textual app (one `Static` that shows the marker, no styles, no data) in a
  pseudo-terminal until its first frame: the floor of any Textual app's first data.
* `layout_floor.py` in a pseudo-terminal: a plain Textual app with the main screen's
  widget tree, the app's stylesheet and the demo rows written in (no manager, no
  HTTP, none of cfy-tui's modules): the floor of this layout's first data.
* headless app: `tui_runner.py startup` builds the app as `tui/cli.py` does against a
  manager started once beforehand with the demo seed (outside the timing) and runs it
  headless (160x48); it reports when its imports ended, the first frame was composed
  (`Ready`), the deployments table got rows, and the refresh after that ("painted"),
  all from the moment the parent started the process.
* `cfy-tui --manager URL` in a pseudo-terminal (real terminal driver, 160x48): time
  until the last demo deployment's id ("web-staging") reaches the terminal.
* `cfy-tui --demo` in a pseudo-terminal, end to end: the same, but it also starts its
  own child manager (seeding the demo data) before the app.
* `cfy deployments list` (the official CLI, built once by `tests/cfy_cli.py` as the
  test suite builds it), with a profile on the same manager made outside the timing:
  the whole process, which prints the table and exits. The app's first data in the
  terminal is compared with it, measured in the same rounds (the target: 0.75x).

The manager is stopped and its data directory removed at the end. The bytecode of
`tui/` is compiled first, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (or
a read-only checkout) every run would otherwise compile the modules changed since.
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.cfy_cli import cli_env, ensure_cfy_cli  # noqa: E402
from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402

RUNNER = Path(__file__).with_name("tui_runner.py")
LAYOUT_FLOOR = Path(__file__).with_name("layout_floor.py")
STYLESHEET = ROOT / "styles" / "app.tcss"
COLUMNS, LINES = 160, 48
# The demo deployment sorted last by id: once it is on screen the table is painted.
MARKER = b"web-staging"
# The floor: the least a Textual app takes to put the marker on screen (any key quits).
MINIMAL_APP = f"""
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static({MARKER.decode()!r})

    def on_key(self, event):
        self.exit()

Minimal().run()
"""
MARK_ORDER = ("main", "imports", "client_built", "app_built", "first_frame", "rows", "painted")
MARK_LABELS = {
    "main": "interpreter up, runner module starts",
    "imports": "imports done (tui.app, client, textual, httpx)",
    "client_built": "ManagerClient built",
    "app_built": "CfyTuiApp built",
    "first_frame": "first frame composed (Ready)",
    "rows": "deployments table has rows",
    "painted": "refresh after the rows: PAINTED",
}


def cfy_tui_command() -> list[str]:
    script = Path(sys.executable).with_name("cfy-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


def time_command(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall milliseconds of a whole process."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - start) * 1000


def cli_profile(cfy: Path, manager: ManagerProcess, home: Path) -> dict[str, str]:
    """A CLI profile on `manager` in its own home (outside the timing); its env."""
    env = cli_env(home)
    subprocess.run(
        [
            str(cfy),
            *("profiles", "use", "127.0.0.1", "-u", "admin", "-p", PASSWORDS["admin"]),
            *("-t", "default_tenant", "--rest-port", str(manager.port)),
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    return env


def headless_run(url: str) -> dict[str, float]:
    env = dict(os.environ, CFY_BENCH_T0_NS=str(time.monotonic_ns()))
    out = subprocess.run(
        [sys.executable, str(RUNNER), "startup", url, PASSWORDS["admin"]],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rows"] < 5:
        raise RuntimeError(f"the table was painted with {result['rows']} rows only: {result}")
    return result["marks"]


def pty_run(cmd: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Milliseconds from starting `cmd` in a pseudo-terminal to MARKER on the screen.

    Then ctrl+c (the app's quit key), and the process is waited for (a `--demo` run
    stops its child manager on the way out).
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    env = dict(env, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    shown: float | None = None
    deadline = start + timeout
    try:
        while shown is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen = seen[-64:] + chunk
            if MARKER in seen:
                shown = (time.perf_counter() - start) * 1000
        if shown is None:
            raise RuntimeError(f"{cmd[0]}: {MARKER!r} never shown; rc={proc.poll()}")
        os.write(master, b"\x03")
        end = time.perf_counter() + 15
        while proc.poll() is None and time.perf_counter() < end:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        os.close(master)
    return shown


def median(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):7.0f} ms  (range {min(values):.0f}-{max(values):.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pty", action="store_true", help="skip the pseudo-terminal runs")
    parser.add_argument("--no-demo", action="store_true", help="skip `cfy-tui --demo`")
    args = parser.parse_args()

    py = sys.executable
    cfy_tui = cfy_tui_command()
    compileall.compile_dir(ROOT / "tui", quiet=1)
    samples: dict[str, list[float]] = {
        k: []
        for k in (
            "pass",
            "textual",
            "tui_imports",
            "pty_minimal",
            "pty_layout",
            "pty_manager",
            "pty_demo",
            "cfy_list",
        )
    }
    cfy = ensure_cfy_cli()
    marks: dict[str, list[float]] = {k: [] for k in MARK_ORDER}

    with tempfile.TemporaryDirectory(prefix="bench-tui-startup-") as tmp:
        manager = ManagerProcess(data=Path(tmp) / "data", speed=1.0).start()
        try:
            manager_env = dict(
                os.environ, CLOUDIFY_PASSWORD=PASSWORDS["admin"], CLOUDIFY_USERNAME="admin"
            )
            cfy_env = cli_profile(cfy, manager, Path(tmp) / "cfy-home")
            for run in range(args.runs):
                samples["cfy_list"].append(
                    time_command([str(cfy), "deployments", "list"], env=cfy_env)
                )
                samples["pass"].append(time_command([py, "-c", "pass"]))
                samples["textual"].append(time_command([py, "-c", "import textual.app"]))
                samples["tui_imports"].append(
                    time_command(
                        [
                            py,
                            "-c",
                            "import tui.app, tui.api.client, tui.widgets.status_line",
                        ]
                    )
                )
                for key, value in headless_run(manager.url).items():
                    if key in marks:
                        marks[key].append(value)
                if not args.no_pty:
                    samples["pty_minimal"].append(
                        pty_run([py, "-c", MINIMAL_APP], dict(os.environ))
                    )
                    samples["pty_layout"].append(
                        pty_run([py, str(LAYOUT_FLOOR), str(STYLESHEET)], dict(os.environ))
                    )
                    samples["pty_manager"].append(
                        pty_run([*cfy_tui, "--manager", manager.url], manager_env)
                    )
                    if not args.no_demo:
                        samples["pty_demo"].append(pty_run([*cfy_tui, "--demo"], dict(os.environ)))
                print(f"round {run + 1}/{args.runs} done", file=sys.stderr)
        finally:
            manager.stop()

    print(f"\nTUI startup, median of {args.runs} fresh processes ({os.cpu_count()} cores)")
    print(f"python: {py}\n")
    print("Baselines (whole process, wall):")
    print(f"  python -c pass                            {median(samples['pass'])}")
    print(f"  python -c 'import textual.app'            {median(samples['textual'])}")
    print(f"  python -c 'import tui.app, client, ...'   {median(samples['tui_imports'])}")
    print("\nHeadless app against a running demo manager (from process start):")
    for key in MARK_ORDER:
        print(f"  {MARK_LABELS[key]:<44}{median(marks[key])}")
    if marks["painted"] and samples["textual"]:
        ratio = statistics.median(marks["painted"]) / statistics.median(samples["textual"])
        print(f"  painted / import textual.app: {ratio:.2f}x")
    if not args.no_pty:
        print(f"\nReal terminal (pty {COLUMNS}x{LINES}), until {MARKER.decode()!r} is on screen:")
        print(f"  minimal Textual app (the floor)           {median(samples['pty_minimal'])}")
        print(f"  this layout, rows written in, no manager  {median(samples['pty_layout'])}")
        print(f"  cfy-tui --manager URL (running manager)   {median(samples['pty_manager'])}")
        if not args.no_demo:
            print(f"  cfy-tui --demo (starts its own manager)   {median(samples['pty_demo'])}")
        print(f"  cfy deployments list (whole process)      {median(samples['cfy_list'])}")
        ratio = statistics.median(samples["pty_manager"]) / statistics.median(samples["cfy_list"])
        print(f"  first data / cfy deployments list: {ratio:.2f}x (target 0.75x or less)")
        floor = statistics.median(samples["pty_minimal"]) / statistics.median(samples["cfy_list"])
        print(f"  minimal Textual app / cfy deployments list: {floor:.2f}x")
        layout = statistics.median(samples["pty_layout"]) / statistics.median(samples["cfy_list"])
        print(f"  this layout without cfy-tui's code / cfy deployments list: {layout:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
