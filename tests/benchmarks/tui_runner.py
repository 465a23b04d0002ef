"""The app side of the TUI benchmarks: run in a fresh process by `bench_tui_startup.py`
and `bench_tui_polling.py` (not a pytest test, not meant to be run by hand).

    python tests/benchmarks/tui_runner.py startup URL PASSWORD
    python tests/benchmarks/tui_runner.py poll URL PASSWORD [--idle S] [--active S] ...

Both build the app as `tui/cli.py` does (ManagerClient + Identity + CfyTuiApp, default
intervals) and run it headless. `startup` exits as soon as the deployments table has
rows and a refresh has followed; times are relative to `$CFY_BENCH_T0_NS`, the
parent's `time.monotonic_ns()` taken just before it started this process (the
monotonic clock is shared by all processes), so they cover interpreter start, imports,
first data and paint. `poll` counts every request of the app's client over an idle
window and a window with an execution running, with the CPU time of this process.
Both print one JSON object on stdout after the app has exited.

Imports are kept to what `tui/cli.py` imports, so that startup figures stay honest.
"""

from __future__ import annotations

import os
import sys
import time

T0_NS = int(os.environ.get("CFY_BENCH_T0_NS") or time.monotonic_ns())


def since_start() -> float:
    """Milliseconds since the parent started this process."""
    return (time.monotonic_ns() - T0_NS) / 1e6


MARKS: dict[str, float] = {"main": since_start()}

import argparse  # noqa: E402
import json  # noqa: E402

from tui.api.client import ManagerClient  # noqa: E402
from tui.app import CfyTuiApp  # noqa: E402
from tui.identity import Identity  # noqa: E402

MARKS["imports"] = since_start()

# Terminal size of the headless app: big enough for every demo deployment to show.
SIZE = (160, 48)


class BenchApp(CfyTuiApp):
    """The app unchanged, plus a mark at `Ready` (the first frame has been composed)."""

    def on_ready(self) -> None:
        MARKS.setdefault("first_frame", since_start())


def build(url: str, password: str, **client_kw: object) -> CfyTuiApp:
    """As `tui.cli.run` does for `--manager URL --username admin`."""
    client = ManagerClient(url, username="admin", password=password, **client_kw)  # type: ignore[arg-type]
    MARKS.setdefault("client_built", since_start())
    identity = Identity(url=url, tenant="default_tenant", user="admin")
    return BenchApp(client, identity)


def deployment_rows(app: CfyTuiApp) -> int:
    if not app.screen_stack or not app.main_screen.is_mounted:
        return 0
    return app.main_screen.query_one("#deployments").row_count  # type: ignore[attr-defined]


# -- startup ----------------------------------------------------------------------------
def startup(url: str, password: str) -> dict[str, object]:
    from tui.screens.main import MainScreen

    app = build(url, password)
    MARKS["app_built"] = since_start()
    original = MainScreen.apply_snapshot

    seen = {"rows": 0}

    def painted() -> None:
        MARKS.setdefault("painted", since_start())
        seen["rows"] = deployment_rows(app)
        app.exit()

    def apply_snapshot(self: MainScreen, snapshot: object) -> None:
        original(self, snapshot)  # type: ignore[arg-type]
        if "rows" not in MARKS and deployment_rows(app):
            MARKS["rows"] = since_start()
            app.call_after_refresh(painted)

    MainScreen.apply_snapshot = apply_snapshot  # type: ignore[method-assign]

    app.run(headless=True, size=SIZE)
    MARKS["exited"] = since_start()
    return {"marks": MARKS, "rows": seen["rows"], "return_code": app.return_code}


# -- polling ----------------------------------------------------------------------------
def read_proc_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) of another process, from /proc (Linux)."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def classify(method: str, path: str, query: str) -> str:
    """A label per kind of request the poller makes."""
    from urllib.parse import parse_qs

    params = parse_qs(query)
    if path.endswith("/executions") and method == "GET":
        if "deployment_id" in params:
            return "GET /executions?deployment_id=… (selected)"
        if "id" in params:
            return "GET /executions?id=… (watched)"
        if "status" in params and params.get("_size") == ["0"]:
            return "GET /executions?status=…&_size=0 (waiting count)"
        if "status" in params:
            return "GET /executions?status=… (active)"
        return "GET /executions (other)"
    if path.startswith("/api/v3.1/deployments/"):
        return f"{method} /deployments/<id> (detail)"
    if path.startswith("/api/v3.1/executions/"):
        return f"{method} /executions/<id>"
    return f"{method} {path.removeprefix('/api/v3.1')}"


def poll(args: argparse.Namespace) -> dict[str, object]:
    import asyncio

    import httpx

    log: list[tuple[float, str]] = []  # (perf_counter, label) of every request sent
    hook_count = [0]

    class CountingTransport(httpx.AsyncHTTPTransport):
        """Sees the query string, which `on_request` does not get."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            query = request.url.query.decode()
            log.append((time.perf_counter(), classify(request.method, request.url.path, query)))
            return await super().handle_async_request(request)

    def on_request(method: str, path: str, status: int | None, seconds: float) -> None:
        hook_count[0] += 1

    app = build(args.url, args.password, transport=CountingTransport(), on_request=on_request)
    result: dict[str, object] = {}

    def window(name: str, start: dict[str, float], end: dict[str, float]) -> None:
        seconds = end["wall"] - start["wall"]
        kinds: dict[str, int] = {}
        for at, label in log:
            if start["wall"] <= at < end["wall"]:
                kinds[label] = kinds.get(label, 0) + 1
        manager_cpu = None
        if start["manager_cpu"] is not None and end["manager_cpu"] is not None:
            manager_cpu = end["manager_cpu"] - start["manager_cpu"]
        result[name] = {
            "seconds": seconds,
            "requests": sum(kinds.values()),
            "hook_requests": end["hook"] - start["hook"],
            "by_kind": kinds,
            "ticks": end["ticks"] - start["ticks"],
            "cpu_seconds": end["cpu"] - start["cpu"],
            "manager_cpu_seconds": manager_cpu,
            "active_at_end": len(app.poller.snapshot.active),
            "selected": app.poller.snapshot.selected,
        }

    def sample() -> dict[str, float]:
        return {
            "wall": time.perf_counter(),
            "cpu": cpu_seconds(),
            "hook": hook_count[0],
            "ticks": app.poller._ticks,
            "manager_cpu": read_proc_cpu(args.manager_pid),  # type: ignore[dict-item]
        }

    async def wait_until(condition: object, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            await asyncio.sleep(0.1)

    async def scenario() -> None:
        try:
            await wait_until(lambda: deployment_rows(app) > 0, 30, "the deployments")
            await asyncio.sleep(args.settle)  # the version request and first ticks are done
            start = sample()
            await asyncio.sleep(args.idle)
            window("idle", start, sample())
            if args.quiet:  # by now nothing has changed for longer than QUIET_AFTER
                start = sample()
                await asyncio.sleep(args.quiet)
                window("quiet", start, sample())

            headers = {"Content-Type": "application/json", "Tenant": "default_tenant"}
            async with httpx.AsyncClient(
                base_url=args.url, auth=("admin", args.password), headers=headers
            ) as other:  # not the app's client: not counted
                answer = await other.post(
                    "/api/v3.1/executions",
                    json={"deployment_id": args.deployment, "workflow_id": args.workflow},
                )
                answer.raise_for_status()
                exec_id = answer.json()["id"]
                await wait_until(lambda: app.poller.snapshot.active, 30, "the execution")
                await asyncio.sleep(args.settle)
                start = sample()
                await asyncio.sleep(args.active)
                window("active", start, sample())
                await other.post(f"/api/v3.1/executions/{exec_id}", json={"action": "kill"})
        except Exception as exc:  # reported, never hangs the parent
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            app.exit()

    def on_ready() -> None:
        app.run_worker(scenario(), name="bench", exit_on_error=False)

    app.call_later(on_ready)
    app.run(headless=True, size=SIZE)
    result["total_requests_hook"] = hook_count[0]
    result["total_requests_transport"] = len(log)
    result["design"] = {
        "fast_interval": app.poller.fast_interval,
        "slow_interval": app.poller.slow_interval,
        "deployments_interval": app.poller.deployments_interval,
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("startup", "poll"))
    parser.add_argument("url")
    parser.add_argument("password")
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--active", type=float, default=30.0)
    parser.add_argument("--quiet", type=float, default=0.0)
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("--deployment", default="analytics")
    parser.add_argument("--workflow", default="reindex")
    parser.add_argument("--manager-pid", type=int, default=None)
    args = parser.parse_args()
    result = startup(args.url, args.password) if args.mode == "startup" else poll(args)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
