"""Passwords and tokens never appear on screen, in screenshots (SVG), in the raw view,
in error messages, in the equivalent-command hints or in logs; TLS is verified by
default, and `--insecure` keeps a warning on screen for the whole session."""

from __future__ import annotations

import asyncio
import base64
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hardening.conftest import LoggedManager
from tests.hardening.figures import count
from tests.hardening.hostile import HostileServer, Reply, benign, version_doc
from tests.hardening.screen import Notes, screen_text
from tests.manager_process import PASSWORDS
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import main, screen_name, select_deployment, start_via_http, table
from tui.api import ConnectionRefused, ManagerClient, Timeouts, TLSFailure
from tui.app import CfyTuiApp
from tui.identity import Identity

PASSWORD = PASSWORDS["admin"]


def forms_of(secret: str, user: str = "admin") -> list[str]:
    """The secret as it could leak: plain, in a Basic header, URL-quoted."""
    return [
        secret,
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
        httpx.URL("http://x/", params={"a": secret}).query.decode().split("=", 1)[1],
    ]


class Leaks:
    """Everything the user can see or save, collected along a session."""

    def __init__(self, app: CfyTuiApp, secrets: list[str]) -> None:
        self.app = app
        self.secrets = [f for s in secrets for f in forms_of(s)]
        self.notes = Notes(app)
        self.places = 0

    def check(self, where: str) -> None:
        views = {
            "screen": screen_text(self.app),
            "svg": self.app.export_screenshot(),
            "notifications": self.notes.text_since(0),
            "title": f"{self.app.title} {self.app.sub_title}",
        }
        for name, view in views.items():
            for secret in self.secrets:
                assert secret not in view, f"{secret!r} in the {name} at {where}"
        self.places += 1
        count("secret checks (screens, SVGs, notifications)", len(views))


async def tour(pilot: Any, app: CfyTuiApp, leaks: Leaks) -> None:
    """Every screen: main, start form (equivalent command), execution screen, raw views,
    help, settings, palette; with a check at each."""
    await select_deployment(pilot, app, "web-prod")
    leaks.check("main")
    table(app, "workflows").focus()
    table(app, "workflows").select_key("rolling_restart")
    await pilot.press("s")
    await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="the start form")
    await pilot.pause(0.1)
    command = str(app.screen.query_one("#start-command").render())
    assert "cfy executions start" in command
    leaks.check("start form")
    await pilot.press("escape")
    table(app, "deployments").focus()
    await pilot.press("y")
    await wait_until(pilot, lambda: screen_name(app) == "RawScreen", what="raw deployment")
    leaks.check("raw view of a deployment")
    await pilot.press("escape")
    executions = table(app, "executions")
    await wait_until(pilot, lambda: executions.row_count > 0, what="executions")
    executions.focus()
    await pilot.press("y")
    await wait_until(pilot, lambda: screen_name(app) == "RawScreen", what="raw execution")
    leaks.check("raw view of an execution")
    await pilot.press("escape")
    executions.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="execution")
    # Checked once the tail has answered (header, parameters and events drawn from it).
    await wait_until(pilot, lambda: app.screen.state.opened, what="the tail's first answer")
    await pilot.pause()
    leaks.check("execution screen")
    await pilot.press("escape")
    await wait_until(pilot, lambda: screen_name(app) == "MainScreen", what="main")
    for key, name in (("question_mark", "HelpScreen"), ("comma", "SettingsScreen")):
        await pilot.press(key)
        await wait_until(pilot, lambda n=name: screen_name(app) == n, what=name)
        leaks.check(name)
        await pilot.press("escape")
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    leaks.check("palette")
    await pilot.press("escape")


async def test_the_password_is_never_shown(
    logged: LoggedManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    start_via_http(logged, "web-prod", "check_status")
    app = make_app(logged)
    leaks = Leaks(app, [PASSWORD])
    async with app.run_test(size=(160, 45)) as pilot:
        await tour(pilot, app, leaks)
        assert app._exception is None
    for secret in leaks.secrets:
        assert secret not in caplog.text
    assert leaks.places == 8


async def test_a_wrong_password_is_not_echoed(logged: LoggedManager) -> None:
    wrong = "Wr0ng-secret-pw"
    client = ManagerClient(logged.url, username="admin", password=wrong)
    app = CfyTuiApp(client, Identity(url=logged.url, tenant="default_tenant", user="admin"))
    leaks = Leaks(app, [wrong])
    async with app.run_test(size=(160, 45)) as pilot:
        line = main(app).query_one("#error-line")
        await wait_until(pilot, lambda: "unauthorized" in str(line.render()), what="401 shown")
        leaks.check("a refused login")


def create_token(manager: LoggedManager) -> str:
    created = httpx.post(
        manager.api + "/tokens",
        auth=("admin", PASSWORD),
        headers={"Content-Type": "application/json"},
        json={"description": "hardening"},
    )
    assert created.status_code == 200, created.text
    return created.json()["value"]


async def test_the_token_is_never_shown(
    logged: LoggedManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = create_token(logged)
    start_via_http(logged, "web-prod", "check_status")
    client = ManagerClient(logged.url, token=token)
    app = CfyTuiApp(
        client,
        Identity(url=logged.url, tenant="default_tenant", user=""),
        fast_interval=0.2,
        slow_interval=0.5,
    )
    leaks = Leaks(app, [token, token.rsplit("-", 1)[1]])
    async with app.run_test(size=(160, 45)) as pilot:
        await tour(pilot, app, leaks)
        assert "user token" in str(main(app).query_one("#status-line").render())
    for secret in leaks.secrets:
        assert secret not in caplog.text
    # A token the manager refuses is not echoed either.
    bad = token[:-4] + "AAAA"
    app = CfyTuiApp(
        ManagerClient(logged.url, token=bad), Identity(logged.url, "default_tenant", "")
    )
    leaks = Leaks(app, [bad, bad.rsplit("-", 1)[1]])
    async with app.run_test(size=(160, 45)) as pilot:
        line = main(app).query_one("#status-line")
        await wait_until(pilot, lambda: "refused" in str(line.render()), what="refused")
        leaks.check("a refused token")


async def test_credentials_in_the_url_are_used_but_never_shown(logged: LoggedManager) -> None:
    host = logged.url.removeprefix("http://")
    with_creds = f"http://admin:{PASSWORD}@{host}"
    client = ManagerClient(with_creds)
    assert PASSWORD not in client.url and client.url == logged.url
    async with client:
        assert (await client.version()).version == "7.0.4"  # authenticated from the URL
    closed = ManagerClient(f"http://admin:{PASSWORD}@127.0.0.1:9", timeouts=Timeouts(connect=1))
    try:
        await closed.version()
    except ConnectionRefused as error:  # nothing listens on port 9
        assert PASSWORD not in str(error), error
    else:
        raise AssertionError("port 9 answered")
    finally:
        await closed.aclose()
    app = CfyTuiApp(ManagerClient(with_creds), Identity(with_creds, "default_tenant", "admin"))
    leaks = Leaks(app, [PASSWORD])
    async with app.run_test(size=(160, 45)) as pilot:
        line = main(app).query_one("#status-line")
        await wait_until(pilot, lambda: "● connected" in str(line.render()), what="connected")
        assert host in str(line.render())
        leaks.check("status line with a URL that carries credentials")


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    try:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        # Not a skip: a TLS test that silently does not run proves nothing.
        pytest.fail(f"openssl could not make the test certificate: {exc}", pytrace=False)
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HostileServer]:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    with HostileServer(ssl_context=context) as server:
        server.set(version=Reply.json(version_doc("7.0.5")))
        yield server


def test_tls_is_verified_by_default(
    tls_server: HostileServer, certificate: tuple[Path, Path]
) -> None:
    async def version(client: ManagerClient) -> str:
        async with client:
            return (await client.version()).version

    with pytest.raises(TLSFailure):
        asyncio.run(version(ManagerClient(tls_server.url)))  # self-signed: refused
    assert asyncio.run(version(ManagerClient(tls_server.url, ca_cert=str(certificate[0]))))
    assert asyncio.run(version(ManagerClient(tls_server.url, verify=False)))
    count("TLS checks", 3)


async def test_insecure_warning_stays_on_screen_the_whole_session(
    tls_server: HostileServer, certificate: tuple[Path, Path]
) -> None:
    tls_server.set(**benign())
    client = ManagerClient(tls_server.url, verify=False, timeouts=Timeouts(connect=1, read=1))
    identity = Identity(url=tls_server.url, tenant="default_tenant", user="u", insecure=True)
    app = CfyTuiApp(client, identity, fast_interval=0.2, slow_interval=0.2)
    app.poller._backoff.cap = 0.5
    seen: list[str] = []

    def warned(where: str) -> None:
        assert "TLS NOT VERIFIED" in screen_text(app), where
        seen.append(where)

    async with app.run_test(size=(80, 24)) as pilot:  # the smallest supported terminal
        warned("start")
        line = main(app).query_one("#status-line")
        await wait_until(pilot, lambda: "● connected" in str(line.render()), what="connected")
        warned("connected")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: screen_name(app) == "HelpScreen", what="help")
        warned("under a dialog")
        await pilot.press("escape")
        await pilot.press("p")
        warned("paused")
        await pilot.press("p")
        tls_server.set(version=Reply(drop=True), deployments=Reply(drop=True))
        tls_server.set(executions=Reply(drop=True))
        await wait_until(pilot, lambda: "disconnected" in str(line.render()), what="outage")
        warned("disconnected")
    assert len(seen) == 5
