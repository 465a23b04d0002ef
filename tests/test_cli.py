"""The `cfy-tui` command line: argument errors, and `--demo`'s child manager never
outliving the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.manager_process import DEMO_DEPLOYMENTS
from tests.polling import wait_for
from tui.cli import main, unicode_terminal
from tui.config import ENVIRONMENT, SETTINGS
from tui.demo import start_demo_manager


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--demo",
        "--manager",
        "--tenant",
        "--username",
        "--token",
        "--ca-cert",
        "--read-only",
        "--insecure",
        "manager",
    ):
        assert option in out


def test_help_names_every_declared_flag_and_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """The flags come from the settings' declarations; the epilog's list of
    environment variables is prose, and must name each one that is read."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    flags = [setting.flag for setting in SETTINGS if setting.flag]
    assert flags and all(flag in out for flag in flags), flags
    assert all(f"${name}" in out for name in ENVIRONMENT), ENVIRONMENT


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --demo, or --manager URL"),
        (["--manager", "cfy.example.com"], "--manager must be an http(s) URL"),
        (
            ["--manager", "https://cfy.example.com", "--ca-cert", "/nonexistent/ca.pem"],
            "no such file",
        ),
        (["--manager", "https://cfy.example.com"], "give --username"),
    ],
)
def test_bad_arguments_are_explained(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CLOUDIFY_USERNAME", "CLOUDIFY_PASSWORD", "CLOUDIFY_TOKEN", "CLOUDIFY_TENANT"):
        monkeypatch.delenv(name, raising=False)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_no_password_without_a_terminal_is_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDIFY_PASSWORD", raising=False)
    monkeypatch.delenv("CLOUDIFY_TOKEN", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["--manager", "https://cfy.example.com", "--username", "admin"]) == 2
    assert "no password: set $CLOUDIFY_PASSWORD" in capsys.readouterr().err


def test_the_password_prompt_hides_credentials_in_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CLOUDIFY_PASSWORD", raising=False)
    monkeypatch.delenv("CLOUDIFY_TOKEN", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    prompts: list[str] = []

    def no_answer(prompt: str) -> str:
        prompts.append(prompt)
        raise KeyboardInterrupt

    monkeypatch.setattr("getpass.getpass", no_answer)
    with pytest.raises(KeyboardInterrupt):
        main(["--manager", "https://u:url-pw@cfy.example.com", "--username", "admin"])
    assert prompts == ["Password for admin at https://***@cfy.example.com: "]


def test_demo_manager_serves_and_stops() -> None:
    demo = start_demo_manager(speed=10)
    try:
        response = httpx.get(
            demo.url + "/api/v3.1/deployments",
            auth=("admin", demo.password),
            headers={"Tenant": "default_tenant"},
            timeout=30,
        )
        assert response.status_code == 200
        assert response.json()["metadata"]["pagination"]["total"] == len(DEMO_DEPLOYMENTS)
        # The password reached the child through its environment, not its command line.
        assert demo.password not in " ".join(demo.process.args)
    finally:
        demo.stop()
    assert demo.process.poll() is not None
    assert not demo.data_dir.exists()


def test_demo_manager_dies_with_a_killed_app() -> None:
    """Even a kill -9 of the app leaves no orphan manager."""
    code = (
        "import sys, time\n"
        "from tui.demo import start_demo_manager\n"
        "demo = start_demo_manager(speed=10)\n"
        "print(demo.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    parent.stdout.close()
    wait_for(lambda: not _alive(child_pid), timeout=15, what="the orphaned manager to exit")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_manager_stops_cleanly_and_removes_its_temporary_data() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.manager", "--port", "0", "--seed", "none"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    data_dir = line.split("data: ", 1)[1].split(" ", 1)[0]
    assert os.path.isdir(data_dir)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    proc.stdout.close()
    assert not os.path.exists(data_dir)


@pytest.mark.parametrize(
    ("encoding", "unicode"),
    [("UTF-8", True), ("utf8", True), ("ANSI_X3.4-1968", False), ("ascii", False)],
)
def test_ascii_glyphs_when_the_terminal_cannot_show_unicode(
    encoding: str, unicode: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stream:
        pass

    stream = Stream()
    stream.encoding = encoding  # type: ignore[attr-defined]
    monkeypatch.setattr(sys, "stdout", stream)
    assert unicode_terminal() is unicode
