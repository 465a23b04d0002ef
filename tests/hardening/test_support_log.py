"""`cfy-tui --log FILE`: one line per request (method, path, status, time), no password,
no token, no header, no body, no query string. The real command runs under a pty
against the embedded manager, once with a password (and `--insecure`, whose warning
must be on screen), once with a token."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import httpx
import pytest

from tests.hardening.conftest import LoggedManager
from tests.hardening.figures import count
from tests.hardening.terminal import After, clean_env, run_in_pty
from tests.manager_process import PASSWORDS
from tui.api.debuglog import log_request, open_log
from tui.cli import build_parser

LINE = re.compile(
    r"^\S+ \S+ DEBUG tui\.requests: (GET|POST|PUT|PATCH|DELETE) (/\S*) (\d{3}|-) [\d.]+ms$"
)


def request_lines(log: Path) -> list[re.Match[str]]:
    return [m for m in map(LINE.match, log.read_text().splitlines()) if m]


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        assert base64.b64encode(f"admin:{secret}".encode()).decode() not in text
    assert "Authorization" not in text and "Authentication-Token" not in text
    assert "?" not in "".join(m.group(2) for m in map(LINE.match, text.splitlines()) if m)


def test_the_flag_is_offered() -> None:
    args = build_parser().parse_args(["--manager", "http://x", "--log", "/tmp/f"])
    assert args.log == "/tmp/f"
    assert "--log FILE" in build_parser().format_help()


def test_the_hook_writes_one_line_per_request(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    handler = open_log(log)
    try:
        log_request("GET", "/api/v3.1/deployments?_search=secret", 200, 0.0123)
        log_request("POST", "/api/v3.1/executions", None, 1.5)
        log_request("GET", "/api/v3.1/events?a=1?b=2", 200, 0.0)
    finally:
        logging.getLogger("tui").removeHandler(handler)
        handler.close()
    lines = request_lines(log)
    assert [(m.group(1), m.group(2), m.group(3)) for m in lines] == [
        ("GET", "/api/v3.1/deployments", "200"),
        ("POST", "/api/v3.1/executions", "-"),
        ("GET", "/api/v3.1/events", "200"),  # nothing after the first `?`
    ]
    # The time in milliseconds, to a tenth, as the support log promises.
    assert [line.rsplit(" ", 1)[1] for line in log.read_text().splitlines()] == [
        "12.3ms",
        "1500.0ms",
        "0.0ms",
    ]
    assert "secret" not in log.read_text()
    assert oct(log.stat().st_mode & 0o777) == "0o600"  # readable by its owner only


@pytest.mark.slow
def test_cfy_tui_log_with_a_password_and_insecure(tmp_path: Path, logged: LoggedManager) -> None:
    log = tmp_path / "support.log"
    password = PASSWORDS["admin"]
    env = clean_env(tmp_path, CLOUDIFY_PASSWORD=password)
    # tab to the workflows pane; its first row is the blueprint's own `rolling_restart`
    # (a deployment's own workflows come first, as on a real manager), available.
    # Each key waits for the screen it is meant for, not for a time.
    keys = [
        (After("connected"), b","),
        (After("Settings"), b"\x1b"),
        (After("Deployment"), b"\t"),
        (After("Workflow"), b"s"),
        (After("cfy executions start"), b"\x1b"),
    ]
    capture = run_in_pty(
        ["--manager", logged.url, "--username", "admin", "--insecure", "--log", str(log)],
        env,
        keys,
        duration=30,
    )
    assert capture.unsent == [], capture.text[-2000:]
    assert capture.returncode == 0, capture.text[-2000:]
    screen = capture.text
    assert "TLS NOT VERIFIED" in screen  # --insecure: said on screen
    assert "cfy executions start" in screen  # the start form's equivalent command was shown
    assert password.encode() not in capture.output  # not on screen, not in settings
    text = log.read_text()
    lines = request_lines(log)
    seen = {(m.group(1), m.group(2), m.group(3)) for m in lines}
    assert ("GET", "/api/version", "200") in seen
    assert ("GET", "/api/v3.1/deployments", "200") in seen
    assert ("GET", "/api/v3.1/executions", "200") in seen
    assert any(p.startswith("/api/v3.1/deployments/") for _, p, _ in seen)
    assert_no_secret(text, password)
    count("support-log lines checked", len(lines))


@pytest.mark.slow
def test_cfy_tui_log_with_a_token(tmp_path: Path, logged: LoggedManager) -> None:
    token = httpx.post(
        logged.api + "/tokens",
        auth=("admin", PASSWORDS["admin"]),
        headers={"Content-Type": "application/json"},
        json={"description": "support log"},
    ).json()["value"]
    log = tmp_path / "support.log"
    env = clean_env(tmp_path, CLOUDIFY_TOKEN=token)
    capture = run_in_pty(
        ["--manager", logged.url, "--log", str(log)],
        env,
        [(After("connected"), b","), (After("Settings"), b"\x1b")],
        duration=30,
    )
    assert capture.unsent == [], capture.text[-2000:]
    assert capture.returncode == 0, capture.text[-2000:]
    assert token.encode() not in capture.output
    assert token.rsplit("-", 1)[1].encode() not in capture.output
    text = log.read_text()
    assert request_lines(log)
    assert_no_secret(text, token, token.rsplit("-", 1)[1])
    count("support-log lines checked", len(request_lines(log)))
