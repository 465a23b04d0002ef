"""Opt-in: the embedded manager against the real Cloudify 7.0.4 REST service.

`differential.py` (in the workplace's `shared/realmanager`) sends the same raw
requests to both servers and names every difference. This test starts an embedded
manager the way that script's README describes, runs it, and fails on any
difference that the README of this project does not list as deliberate.

It runs only when told where the real service is, and skips otherwise:

    CFY_TUI_REAL_MANAGER_PORT=18100 CFY_TUI_REAL_MANAGER_PASSWORD=s3cret \\
        python -m pytest -m realmanager

The real service must be freshly reset (`REALMGR_RESET=1 .../start.sh`): leftovers
of earlier runs show up in its global lists, and they are not deliberate.
`CFY_TUI_REALMANAGER_DIR` points at the `realmanager` folder when it is not at
`../shared/realmanager` beside the checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.manager_process import ManagerProcess

pytestmark = [pytest.mark.realmanager, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SIMULATION = """
simulation:
  workflows:
    deploy_app: {operation: demo.app.deploy, nodes: [app], steps: 10, duration: 2}
    backup:     {operation: demo.app.backup, nodes: [app], steps: 10, duration: 2}
"""
# Probe -> the README's deliberate difference that explains it.
DELIBERATE = {
    "unknown route (404)": "unknown routes answer a JSON error body",
    "method not allowed (DELETE /version)": "unknown methods answer a JSON error body",
    "blueprints list _include=id": "the demo blueprints exist in every tenant",
    "executions list, default": "the demo blueprints' upload_blueprint executions",
    "executions _include_system_workflows=true": "the demo blueprints' upload executions",
}
ROW = re.compile(r"^\| (\d+) \| (.+?) \| (same|differs) \| (.*) \|$")


def realmanager_dir() -> Path:
    configured = os.environ.get("CFY_TUI_REALMANAGER_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "realmanager"


@pytest.fixture(scope="module")
def real_port() -> int:
    port = os.environ.get("CFY_TUI_REAL_MANAGER_PORT")
    if not port:
        pytest.skip("CFY_TUI_REAL_MANAGER_PORT is not set: no real manager to compare with")
    try:
        httpx.get(f"http://127.0.0.1:{port}/api/v3.1/ok", timeout=5)
    except httpx.HTTPError as exc:
        pytest.skip(f"no real manager answers on port {port}: {exc}")
    if not (realmanager_dir() / "differential.py").is_file():
        pytest.skip(f"differential.py not found in {realmanager_dir()}")
    return int(port)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    password = os.environ.get("CFY_TUI_REAL_MANAGER_PASSWORD", "s3cret")
    blueprints = tmp_path_factory.mktemp("blueprints")
    source = realmanager_dir() / "blueprint" / "blueprint.yaml"
    shutil.copy(source, blueprints / "demo.yaml")
    with (blueprints / "demo.yaml").open("a", encoding="utf-8") as fh:
        fh.write(SIMULATION)
    proc = ManagerProcess(
        data=tmp_path_factory.mktemp("embedded"),
        speed=1.0,
        seed="none",
        extra_args=["--admin-password", password, "--blueprints", str(blueprints)],
    ).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_only_the_deliberate_differences_remain(
    real_port: int, embedded: ManagerProcess, tmp_path: Path
) -> None:
    password = os.environ.get("CFY_TUI_REAL_MANAGER_PASSWORD", "s3cret")
    result = subprocess.run(
        [
            sys.executable,
            str(realmanager_dir() / "differential.py"),
            str(real_port),
            str(embedded.port),
            password,
            "--json",
            str(tmp_path / "differential.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [m for line in result.stdout.splitlines() if (m := ROW.match(line))]
    assert rows, result.stdout[-3000:]
    unexplained = [
        f"#{m.group(1)} {m.group(2)}: {m.group(4)}"
        for m in rows
        if m.group(3) == "differs" and m.group(2) not in DELIBERATE
    ]
    assert not unexplained, "\n".join(unexplained)
