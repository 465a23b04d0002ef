"""The built wheel holds everything the app needs at run time: installed (not editable)
into a fresh virtual environment, `cfy-tui --help` and the manager work from it."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.manager_process import DEMO_DEPLOYMENTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("cfy_tui-*.whl")
    return built


def test_wheel_contains_the_runtime_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tui/manager/types.yaml" in names
    for blueprint in ("webapp", "database", "analytics"):
        assert f"tui/manager/demo/{blueprint}.yaml" in names
    styles = sorted((ROOT / "styles").glob("*.tcss")) if (ROOT / "styles").is_dir() else []
    for sheet in styles:
        assert f"tui/styles/{sheet.name}" in names, sheet.name
    assert not any(name.startswith("tests/") for name in names)


@pytest.mark.slow
def test_installed_wheel_runs(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    cli = env_dir / "bin" / "cfy-tui"
    help_text = subprocess.run([str(cli), "--help"], capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0 and "cfy-tui" in help_text.stdout
    styles = subprocess.run(
        [str(python), "-c", "from tui.app import styles_dir; print(styles_dir())"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert styles.returncode == 0, styles.stderr
    assert (Path(styles.stdout.strip()) / "app.tcss").is_file()
    assert str(env_dir) in styles.stdout
    manager_help = subprocess.run(
        [str(cli), "manager", "--help"], capture_output=True, text=True, timeout=60
    )
    assert manager_help.returncode == 0 and "--speed" in manager_help.stdout

    # Run the manager from the installed wheel, away from the source tree.
    proc = subprocess.Popen(
        [
            str(python),
            "-m",
            "tui.manager",
            "--data",
            str(tmp_path / "data"),
            "--admin-password",
            "pw",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ", 1)[1].split()[0]
        response = httpx.get(
            url + "/api/v3.1/deployments",
            auth=("admin", "pw"),
            headers={"Tenant": "default_tenant"},
            timeout=30,
        )
        assert response.status_code == 200
        assert response.json()["metadata"]["pagination"]["total"] == len(DEMO_DEPLOYMENTS)
    finally:
        proc.terminate()
        proc.wait(30)
