"""Settings from flags, environment, our config file and the cfy CLI's profiles:
precedence and provenance, errors that name file/line/key, the permission warning,
masking, and the command line's use of it all."""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from tui import cli
from tui.api.client import ManagerClient
from tui.app import CfyTuiApp
from tui.config import (
    ENVIRONMENT,
    MASK,
    ConfigError,
    Settings,
    list_profiles,
    masked,
    resolve,
)
from tui.screens.settings import SettingsScreen

CFY_URL = "http://127.0.0.1:18080"
# As `cfy profiles use 127.0.0.1 -u admin -p admin -t default_tenant --rest-port 18080`
# leaves it (reference/cfy-cli-wire.md §2), with recognisable values.
CONTEXT = {
    "cluster": {},
    "kerberos_env": False,
    "manager_ip": "127.0.0.1",
    "manager_password": "cfy-profile-pw",
    "manager_tenant": "t-cfy",
    "manager_token": None,
    "manager_username": "cfy-user",
    "name": "127.0.0.1",
    "provider_context": {"cloudify": {"cloudify_agent": {}}},
    "rest_certificate": None,
    "rest_port": 18080,
    "rest_protocol": "http",
    "ssh_key": None,
    "ssh_port": 22,
    "ssh_user": None,
}
OURS = [*ENVIRONMENT, "CFY_WORKDIR"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the real environment, nor ~/.config, nor ~/.cloudify leak in."""
    for name in OURS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    path.chmod(mode)
    return path


def cfy_workdir(
    root: Path, profiles: dict[str, dict[str, Any]] | None = None, active: str = "127.0.0.1"
) -> Path:
    """A CFY_WORKDIR as the cfy CLI leaves it; returns the workdir."""
    home = root / ".cloudify"
    for name, context in (profiles or {"127.0.0.1": CONTEXT}).items():
        (home / "profiles" / name).mkdir(parents=True)
        (home / "profiles" / name / "context.json").write_text(json.dumps(context, indent=2))
    (home / "active.profile").write_text(active)
    (home / "config.yaml").write_text("colors: false\n")
    return root


def tree_state(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- precedence and provenance -----------------------------------------------------------------
@pytest.fixture
def layered(tmp_path: Path) -> tuple[Path, Path]:
    """A config profile and a cfy CLI profile for the same manager, each with a tenant."""
    config = write_config(
        tmp_path / "config.yaml",
        f"""
        default_profile: prod
        profiles:
          prod:
            manager: {CFY_URL}
            tenant: t-file
        """,
    )
    return config, cfy_workdir(tmp_path / "work")


@pytest.mark.parametrize(
    ("flags", "env", "expected", "source"),
    [
        ({"tenant": "t-flag"}, {"CLOUDIFY_TENANT": "t-env"}, "t-flag", "flag --tenant"),
        ({}, {"CLOUDIFY_TENANT": "t-env"}, "t-env", "$CLOUDIFY_TENANT"),
        ({}, {}, "t-file", "config {config}:5, profile prod"),
    ],
    ids=["flag", "env", "file"],
)
def test_each_layer_wins_over_the_ones_below(
    layered: tuple[Path, Path],
    flags: dict[str, str],
    env: dict[str, str],
    expected: str,
    source: str,
) -> None:
    config, work = layered
    resolved = resolve(flags, {"CFY_WORKDIR": str(work), **env}, config_path=config)
    assert resolved.settings.tenant == expected
    assert resolved.sources["tenant"] == source.format(config=config)


def test_cfy_profile_below_the_config_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        f"""
        default_profile: prod
        profiles:
          prod:
            manager: {CFY_URL}
            read_only: true
        """,
    )
    work = cfy_workdir(tmp_path / "work")
    resolved = resolve({}, {"CFY_WORKDIR": str(work)}, config_path=config)
    context = work / ".cloudify" / "profiles" / "127.0.0.1" / "context.json"
    settings = resolved.settings
    assert (settings.tenant, settings.username, settings.password) == (
        "t-cfy",
        "cfy-user",
        "cfy-profile-pw",
    )
    assert resolved.sources["tenant"] == f"cfy profile {context} (manager_tenant)"
    assert resolved.sources["manager"] == f"config {config}:4, profile prod"
    assert settings.read_only is True
    assert settings.profile_name == "prod"


def test_defaults_when_nothing_is_given(tmp_path: Path) -> None:
    resolved = resolve({}, {}, config_path=tmp_path / "none.yaml", cfy_home=tmp_path / "none")
    assert resolved.settings == Settings()
    assert resolved.sources["tenant"] == "default"
    assert resolved.sources["fast_interval"] == "default"
    assert resolved.sources["profile_name"] == "no profile"
    assert resolved.warnings == []
    assert resolved.profiles == []


def test_manager_precedence(layered: tuple[Path, Path]) -> None:
    config, work = layered
    env = {"CFY_WORKDIR": str(work), "CFY_TUI_MANAGER": "https://env.example.com"}
    assert resolve({}, env, config_path=config).settings.manager == "https://env.example.com"
    flagged = resolve({"manager": "https://flag.example.com/"}, env, config_path=config)
    assert flagged.settings.manager == "https://flag.example.com"
    assert flagged.sources["manager"] == "flag --manager"
    by_file = resolve({}, {"CFY_WORKDIR": str(work)}, config_path=config)
    assert by_file.settings.manager == CFY_URL
    # no config file: the cfy CLI's active profile, with zero setup
    by_cfy = resolve({}, {"CFY_WORKDIR": str(work)}, config_path=work / "none.yaml")
    assert by_cfy.settings.manager == CFY_URL
    assert by_cfy.settings.profile_name == "127.0.0.1"
    assert by_cfy.sources["profile_name"] == f"cfy {work / '.cloudify' / 'active.profile'}"


def test_read_only_from_env_and_flags(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p: {read_only: true}
        """,
    )
    assert resolve({}, {}, config_path=config).settings.read_only is True
    off = resolve({}, {"CFY_TUI_READ_ONLY": "0"}, config_path=config)
    assert (off.settings.read_only, off.sources["read_only"]) == (False, "$CFY_TUI_READ_ONLY")
    on = resolve({"read_only": True}, {"CFY_TUI_READ_ONLY": "no"}, config_path=config)
    assert (on.settings.read_only, on.sources["read_only"]) == (True, "flag --read-only")
    with pytest.raises(ConfigError) as error:
        resolve({}, {"CFY_TUI_READ_ONLY": "maybe"}, config_path=config)
    assert error.value.key == "CFY_TUI_READ_ONLY"
    assert "$CFY_TUI_READ_ONLY" in str(error.value)


def test_profile_selection_env_and_flag(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: a
        profiles:
          a: {theme: nord}
          b: {theme: dracula}
          c: {theme: monokai}
        """,
    )
    assert resolve({}, {}, config_path=config).settings.theme == "nord"
    by_env = resolve({}, {"CFY_TUI_PROFILE": "b"}, config_path=config)
    assert (by_env.settings.profile_name, by_env.settings.theme) == ("b", "dracula")
    assert by_env.sources["profile_name"] == "$CFY_TUI_PROFILE"
    by_flag = resolve({"profile": "c"}, {"CFY_TUI_PROFILE": "b"}, config_path=config)
    assert (by_flag.settings.profile_name, by_flag.sources["theme"]) == (
        "c",
        f"config {config}:5, profile c",
    )


def test_config_path_from_flag_env_and_platform_dir(tmp_path: Path) -> None:
    default = write_config(
        tmp_path / "xdg" / "cfy-tui" / "config.yaml",
        "default_profile: d\nprofiles:\n  d: {theme: nord}\n",
    )
    other = write_config(tmp_path / "o.yaml", "default_profile: o\nprofiles:\n  o: {ascii: true}\n")
    found = resolve({}, {})
    assert (found.config_path, found.config_source, found.settings.theme) == (
        default,
        "default location",
        "nord",
    )
    by_env = resolve({}, {"CFY_TUI_CONFIG": str(other)})
    assert (by_env.config_path, by_env.settings.ascii) == (other, True)
    by_flag = resolve({"config": str(default)}, {"CFY_TUI_CONFIG": str(other)})
    assert (by_flag.config_source, by_flag.settings.theme) == ("flag --config", "nord")
    with pytest.raises(ConfigError) as error:
        resolve({"config": str(tmp_path / "missing.yaml")}, {})
    assert error.value.path == tmp_path / "missing.yaml"
    assert "not found" in str(error.value)


# -- authentication ----------------------------------------------------------------------------
def test_a_token_anywhere_means_token_auth(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p: {manager: "https://cfy.example.com", username: admin, password: file-pw}
        """,
    )
    resolved = resolve({}, {"CLOUDIFY_TOKEN": "env-token"}, config_path=config)
    settings = resolved.settings
    assert (settings.auth, settings.token, settings.password, settings.username) == (
        "token",
        "env-token",
        None,
        None,
    )
    assert resolved.sources["auth"] == "$CLOUDIFY_TOKEN gives a token"
    assert resolved.sources["password"] == "not used (token auth)"
    by_password = resolve({}, {}, config_path=config)
    assert (by_password.settings.auth, by_password.settings.password) == ("password", "file-pw")
    assert by_password.sources["auth"] == "default (no token given)"


def test_auth_said_by_the_profile_wins(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p:
            manager: https://cfy.example.com
            auth: password
            username: admin
        """,
    )
    resolved = resolve(
        {}, {"CLOUDIFY_TOKEN": "t", "CLOUDIFY_PASSWORD": "env-pw"}, config_path=config
    )
    assert (resolved.settings.auth, resolved.settings.password) == ("password", "env-pw")
    assert resolved.sources["auth"] == f"config {config}:5, profile p"


def test_token_flag_works_and_says_it_is_visible(tmp_path: Path) -> None:
    resolved = resolve(
        {"manager": "https://cfy.example.com", "token": "flag-token"},
        {},
        config_path=tmp_path / "none.yaml",
        cfy_home=tmp_path / "none",
    )
    assert (resolved.settings.auth, resolved.settings.token) == ("token", "flag-token")
    assert resolved.sources["token"] == "flag --token (visible to other users)"
    assert any("--token is visible to other users" in w for w in resolved.warnings)


def test_stored_credentials_never_go_to_another_manager(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "work")
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p: {manager: "https://prod.example.com", username: u, password: prod-pw}
        """,
    )
    env = {"CFY_WORKDIR": str(work)}
    elsewhere = resolve({"manager": "https://evil.example.com"}, env, config_path=config)
    settings = elsewhere.settings
    assert (settings.username, settings.password, settings.tenant) == (
        None,
        None,
        "default_tenant",
    )
    # the same manager spelled with its default port still gets them
    same = resolve({"manager": "https://PROD.example.com:443/"}, env, config_path=config)
    assert same.settings.password == "prod-pw"
    # the cfy profile's credentials follow its own manager only
    no_config = resolve({"manager": "https://prod.example.com"}, env, config_path=tmp_path / "x")
    assert no_config.settings.password is None
    assert resolve({}, env, config_path=tmp_path / "x").settings.password == "cfy-profile-pw"


# -- the cfy CLI's profiles ---------------------------------------------------------------------
def test_reads_cfy_profiles_and_never_writes_them(tmp_path: Path) -> None:
    token_context = {
        **CONTEXT,
        "name": "cfy.example.com",
        "manager_ip": "cfy.example.com",
        "rest_port": 443,
        "rest_protocol": "https",
        "manager_username": None,
        "manager_password": None,
        "manager_token": "cfy-token",
        "manager_tenant": "ops",
        "rest_certificate": str(tmp_path / "ca.pem"),
    }
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    work = cfy_workdir(tmp_path / "work", {"127.0.0.1": CONTEXT, "cfy.example.com": token_context})
    before = tree_state(work)
    env = {"CFY_WORKDIR": str(work)}

    active = resolve({}, env, config_path=tmp_path / "none.yaml")
    context = work / ".cloudify" / "profiles" / "127.0.0.1" / "context.json"
    assert active.settings.manager == CFY_URL
    assert (active.settings.username, active.settings.password) == ("cfy-user", "cfy-profile-pw")
    assert active.sources["password"] == f"cfy profile {context} (manager_password)"
    assert active.sources["manager"] == (
        f"cfy profile {context} (manager_ip, rest_port, rest_protocol)"
    )

    named = resolve({"profile": "cfy.example.com"}, env, config_path=tmp_path / "none.yaml")
    settings = named.settings
    assert (settings.manager, settings.auth, settings.token, settings.tenant) == (
        "https://cfy.example.com",
        "token",
        "cfy-token",
        "ops",
    )
    assert settings.ca_cert == str(tmp_path / "ca.pem")
    assert settings.profile_name == "cfy.example.com"

    profiles = list_profiles(tmp_path / "none.yaml", environ=env)
    assert [(p.name, p.kind, p.manager, p.default) for p in profiles] == [
        ("127.0.0.1", "cfy", CFY_URL, True),
        ("cfy.example.com", "cfy", "https://cfy.example.com", False),
    ]
    assert tree_state(work) == before  # same files, same bytes, same mtimes and modes


def test_a_config_profile_hides_a_cfy_profile_of_the_same_name(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "work")
    config = write_config(
        tmp_path / "c.yaml", "profiles:\n  127.0.0.1: {manager: 'https://mine.example.com'}\n"
    )
    env = {"CFY_WORKDIR": str(work)}
    resolved = resolve({"profile": "127.0.0.1"}, env, config_path=config)
    assert resolved.settings.manager == "https://mine.example.com"
    assert [(p.name, p.kind) for p in resolved.profiles] == [("127.0.0.1", "config")]


def test_a_broken_cfy_profile(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "work")
    context = work / ".cloudify" / "profiles" / "127.0.0.1" / "context.json"
    context.write_text("{not json")
    env = {"CFY_WORKDIR": str(work)}
    # the implicit active profile: a warning, the app can still start with --manager
    resolved = resolve({"manager": "https://x.example.com"}, env, config_path=tmp_path / "n")
    assert any(str(context) in w for w in resolved.warnings)
    # named explicitly: an error naming the file
    with pytest.raises(ConfigError) as error:
        resolve({"profile": "127.0.0.1"}, env, config_path=tmp_path / "n")
    assert error.value.path == context


def test_local_or_missing_active_profile_is_ignored(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "work", active="local")
    assert (
        resolve({}, {"CFY_WORKDIR": str(work)}, config_path=tmp_path / "n").settings.manager is None
    )
    (work / ".cloudify" / "active.profile").write_text("gone")
    assert (
        resolve({}, {"CFY_WORKDIR": str(work)}, config_path=tmp_path / "n").settings.manager is None
    )


# -- errors name the file, the line and the key ------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("profiles:\n  p:\n    manager: [oops\n", 4, None, "YAML syntax error"),
        (
            "profiles:\n  p:\n    tenant: a\n    pasword: x\n",
            4,
            "profiles.p.pasword",
            "did you mean password",
        ),
        ("profiles:\n  p:\n    fast_interval: soon\n", 3, "profiles.p.fast_interval", "seconds"),
        ("profiles:\n  p:\n    read_only: sometimes\n", 3, "profiles.p.read_only", "true or false"),
        ("profiles:\n  p:\n    manager: cfy.example.com\n", 3, "profiles.p.manager", "http(s) URL"),
        ("profiles:\n  p:\n    auth: kerberos\n", 3, "profiles.p.auth", "password or token"),
        (
            "profiles:\n  p:\n    keys:\n      main.start: 5\n",
            4,
            "profiles.p.keys.main.start",
            "ctrl+s",
        ),
        ("profiles:\n  p:\n    tenant: a\n    tenant: b\n", 4, "profiles.p.tenant", "given twice"),
        ("colour: red\n", 1, "colour", "unknown key"),
        (
            "profiles:\n  p: {theme: nord}\ndefault_profile: q\n",
            3,
            "default_profile",
            "unknown profile 'q'",
        ),
        ("profiles: [a, b]\n", 1, "profiles", "expected a mapping"),
    ],
    ids=[
        "syntax",
        "unknown-key",
        "interval-type",
        "bool-type",
        "url",
        "auth",
        "keys",
        "duplicate",
        "top-level",
        "default-profile",
        "profiles-type",
    ],
)
def test_bad_config_is_explained(
    tmp_path: Path, text: str, line: int, key: str | None, words: str
) -> None:
    config = write_config(tmp_path / "config.yaml", text)
    with pytest.raises(ConfigError) as error:
        resolve({}, {}, config_path=config)
    exc = error.value
    assert (exc.path, exc.line, exc.key) == (config, line, key)
    message = str(exc)
    assert message.startswith(f"{config}:{line}: ")
    assert words in message
    if key:
        assert key in message


def test_unknown_profile_from_the_command_line(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", "profiles:\n  prod: {}\n  lab: {}\n")
    with pytest.raises(ConfigError) as error:
        resolve({"profile": "staging"}, {}, config_path=config, cfy_home=tmp_path / "none")
    assert error.value.key == "--profile"
    assert error.value.path == config
    assert "unknown profile 'staging'" in str(error.value)
    assert "lab, prod" in str(error.value)


def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", "profiles:\n  p:\n    password: 8675309\n")
    with pytest.raises(ConfigError) as error:
        resolve({}, {}, config_path=config)
    assert error.value.key == "profiles.p.password"
    assert "quote it" in str(error.value)
    assert "8675309" not in str(error.value)


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        x-common: &common
          manager: https://cfy.example.com
          theme: nord
        profiles:
          ro:
            <<: *common
            read_only: true
          rw:
            <<: *common
            theme: dracula
        """,
    )
    ro = resolve({"profile": "ro"}, {}, config_path=config).settings
    rw = resolve({"profile": "rw"}, {}, config_path=config).settings
    assert (ro.manager, ro.theme, ro.read_only) == ("https://cfy.example.com", "nord", True)
    assert (rw.theme, rw.read_only) == ("dracula", False)


def test_a_full_profile(tmp_path: Path) -> None:
    ca = tmp_path / "certs" / "ca.pem"
    ca.parent.mkdir()
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: prod
        profiles:
          prod:
            manager: https://cfy.example.com
            tenant: ops
            username: admin
            auth: password
            password: "s3cret"
            ca_cert: certs/ca.pem
            insecure: false
            read_only: true
            fast_interval: 0.5
            slow_interval: 10
            theme: nord
            ascii: true
            keys:
              main.start: ctrl+s
              main.quit: "ctrl+q,q"
        """,
    )
    settings = resolve({}, {}, config_path=config).settings
    assert settings == Settings(
        manager="https://cfy.example.com",
        tenant="ops",
        auth="password",
        username="admin",
        password="s3cret",
        ca_cert=str(ca),
        read_only=True,
        fast_interval=0.5,
        slow_interval=10.0,
        theme="nord",
        ascii=True,
        keys={"main.start": "ctrl+s", "main.quit": "ctrl+q,q"},
        profile_name="prod",
    )


def test_a_missing_ca_bundle_names_where_it_was_set(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        "default_profile: p\nprofiles:\n  p:\n    manager: https://x.example.com\n"
        "    ca_cert: /nonexistent/ca.pem\n",
    )
    with pytest.raises(ConfigError) as error:
        resolve({}, {}, config_path=config)
    assert (error.value.line, error.value.key) == (5, "profiles.p.ca_cert")
    assert "no such file" in str(error.value)


# -- secrets ---------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_config_with_a_secret_readable_by_others_warns(tmp_path: Path) -> None:
    text = "default_profile: p\nprofiles:\n  p: {username: u, password: pw}\n"
    loose = write_config(tmp_path / "loose.yaml", text, mode=0o644)
    warnings = resolve({}, {}, config_path=loose).warnings
    assert len(warnings) == 1
    assert str(loose) in warnings[0] and "0644" in warnings[0] and "chmod 600" in warnings[0]
    tight = write_config(tmp_path / "tight.yaml", text, mode=0o600)
    assert resolve({}, {}, config_path=tight).warnings == []
    # no secret in it: nothing to protect
    public = write_config(tmp_path / "public.yaml", "profiles:\n  p: {theme: nord}\n", 0o644)
    assert resolve({}, {}, config_path=public).warnings == []
    # a secret in a profile that is not the one used still counts
    other = write_config(
        tmp_path / "other.yaml",
        "profiles:\n  a: {theme: nord}\n  b: {token: tok}\n",
        mode=0o640,
    )
    assert len(resolve({"profile": "a"}, {}, config_path=other).warnings) == 1


def test_secrets_are_masked(tmp_path: Path) -> None:
    assert masked("hunter2") == MASK == "********"
    assert masked(None) == masked("") == "(not set)"
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p: {manager: "https://u:url-pw@cfy.example.com", username: u, password: file-pw}
        """,
    )
    resolved = resolve({}, {"CLOUDIFY_TOKEN": "env-token"}, config_path=config)
    rows = resolved.rows()
    shown = repr(rows) + repr(resolved.settings)
    for secret in ("url-pw", "file-pw", "env-token"):
        assert secret not in shown
    assert ("token", MASK, "$CLOUDIFY_TOKEN") in rows
    assert ("manager", "https://***@cfy.example.com", f"config {config}:3, profile p") in rows
    prompted = resolve({}, {}, config_path=config).with_value("password", "typed", "prompt")
    assert ("password", MASK, "prompt") in prompted.rows()


# -- the command line ---------------------------------------------------------------------------
def test_cli_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.yaml", "profiles:\n  p:\n    slow_interval: often\n")
    assert cli.main(["--config", str(config), "--manager", "https://x.example.com"]) == 2
    err = capsys.readouterr().err
    assert f"cfy-tui: error: {config}:3: profiles.p.slow_interval:" in err


def test_cli_unknown_profile_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.yaml", "profiles:\n  p: {}\n")
    assert cli.main(["--config", str(config), "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """cli.run without a terminal: records the client's arguments and the app."""
    seen: dict[str, Any] = {"clients": []}

    class RecordingClient(ManagerClient):
        def __init__(self, url: str, **kw: Any) -> None:
            seen["clients"].append((url, kw))
            super().__init__(url, **kw)

    def fake_run(self: CfyTuiApp, *args: Any, **kw: Any) -> None:
        seen["app"] = self

    monkeypatch.setattr("tui.connections.ManagerClient", RecordingClient)
    monkeypatch.setattr(CfyTuiApp, "run", fake_run)
    yield seen


def test_cli_passes_the_settings_to_the_app(
    tmp_path: Path, captured: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p:
            manager: http://127.0.0.1:9
            tenant: ops
            username: admin
            password: file-pw
            read_only: true
            fast_interval: 0.5
            slow_interval: 9
            theme: nord
            ascii: true
            keys:
              main.start: ctrl+s
              main.nonesuch: f9
        """,
        mode=0o644,
    )
    assert cli.main(["--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "chmod 600" in err and "main.nonesuch" in err
    url, kw = captured["clients"][0]
    assert url == "http://127.0.0.1:9"
    assert (kw["username"], kw["password"], kw["token"], kw["tenant"]) == (
        "admin",
        "file-pw",
        None,
        "ops",
    )
    app: CfyTuiApp = captured["app"]
    assert (app.read_only, app.ascii_only, app.identity.read_only) == (True, True, True)
    assert (app.poller.fast_interval, app.poller.slow_interval) == (0.5, 9.0)
    assert app.theme == "nord"
    mine = {k: v for k, v in app._keymap.items() if not k.endswith(".refused")}
    assert mine == {"main.start": "ctrl+s", "main.nonesuch": "f9"}
    # A remapped key takes its "why not" fallback along.
    assert app._keymap["main.start.refused"] == "ctrl+s"
    assert ("password", MASK, f"config {config}:7, profile p") in app.settings_rows
    assert "file-pw" not in repr(app.settings_rows)
    assert any("chmod 600" in w for w in app.warnings)
    assert any("main.nonesuch" in w for w in app.warnings)
    assert not any("main.start" in w for w in app.warnings)


def test_cli_prompts_for_a_missing_password_only_on_a_terminal(
    tmp_path: Path,
    captured: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        "default_profile: p\nprofiles:\n  p: {manager: 'http://127.0.0.1:9', username: u}\n",
    )
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["--config", str(config)]) == 2
    assert "no password" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typed-pw")
    assert cli.main(["--config", str(config)]) == 0
    assert captured["clients"][-1][1]["password"] == "typed-pw"
    assert ("password", MASK, "prompt") in captured["app"].settings_rows


def test_cli_demo_ignores_configured_manager_and_credentials(
    tmp_path: Path, captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: prod
        profiles:
          prod:
            manager: https://prod.example.com
            tenant: prod-tenant
            username: prod-user
            password: prod-pw
            token: prod-token
            read_only: true
            theme: nord
        """,
    )
    monkeypatch.setenv("CLOUDIFY_TOKEN", "env-token")
    monkeypatch.setenv("CLOUDIFY_TENANT", "env-tenant")
    stopped: list[bool] = []

    class FakeDemo:
        url = "http://127.0.0.1:9"
        password = "demo-pw"

        def stop(self) -> None:
            stopped.append(True)

    class PendingFake:
        def ready(self) -> FakeDemo:
            return FakeDemo()

    monkeypatch.setattr("tui.demo.launch_demo_manager", lambda speed: PendingFake())
    assert cli.main(["--demo", "--config", str(config)]) == 0
    url, kw = captured["clients"][0]
    assert url == "http://127.0.0.1:9"
    assert (kw["username"], kw["password"], kw["token"], kw["tenant"]) == (
        "admin",
        "demo-pw",
        None,
        "default_tenant",
    )
    app: CfyTuiApp = captured["app"]
    # what is not about the connection still applies
    assert (app.read_only, app.theme) == (True, "nord")
    sources = {name: source for name, _, source in app.settings_rows}
    assert sources["manager"].startswith("--demo")
    assert "prod-pw" not in repr(app.settings_rows)
    assert stopped == [True]


def test_resolve_for_the_demo_keeps_only_the_tenant_flag(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "work")
    resolved = resolve(
        {"demo": True, "tenant": "t"},
        {"CFY_WORKDIR": str(work), "CLOUDIFY_PASSWORD": "pw"},
        config_path=tmp_path / "n",
    )
    settings = resolved.settings
    assert (settings.manager, settings.username, settings.password, settings.tenant) == (
        None,
        None,
        None,
        "t",
    )


# -- the settings screen --------------------------------------------------------------------------
class _Host(App[None]):
    def __init__(self, rows: list[tuple[str, str, str]], warnings: list[str]) -> None:
        super().__init__()
        self.rows, self.warns = rows, warnings

    def on_mount(self) -> None:
        self.push_screen(SettingsScreen(self.rows, self.warns))


def _screen_text(app: App[Any]) -> str:
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")


async def test_settings_screen_shows_values_sources_and_warnings(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
        default_profile: p
        profiles:
          p: {manager: "https://cfy.example.com", username: "[@click=app.quit]x", password: pw-123}
        """,
        mode=0o644,
    )
    resolved = resolve({"tenant": "ops"}, {}, config_path=config)
    app = _Host(resolved.rows(), [*resolved.warnings, "\x1b[31mred[/] [b]bold"])
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        text = _screen_text(app)
        assert "https://cfy.example.com" in text and "flag --tenant" in text
        assert "[@click=app.quit]x" in text  # shown, not interpreted
        assert MASK in text and "pw-123" not in text
        assert "Warning:" in text and "chmod 600" in text
        assert "\x1b" not in text and "[b]bold" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
        assert app.is_running
