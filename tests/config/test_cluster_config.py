"""The managers of a cluster as settings: `--manager` repeated, a list in the config
file, commas in `$CFY_TUI_MANAGER`, and a `cfy` CLI profile's cluster nodes (as `cfy
cluster update-profile` stores them: `cloudify_cli/commands/cluster.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.config.test_config import CONTEXT, cfy_workdir, write_config
from tui import cli
from tui.api.client import ManagerClient
from tui.app import CfyTuiApp
from tui.config import ENVIRONMENT, ConfigError, list_profiles, resolve

A, B, C = "https://cfy-1.example.com", "https://cfy-2.example.com", "https://cfy-3.example.com"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ENVIRONMENT, "CFY_WORKDIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_manager_flag_repeated_gives_the_cluster_in_order(tmp_path: Path) -> None:
    args = cli.build_parser().parse_args(["--manager", A, "--manager", f"{B}/", "--manager", C])
    resolved = resolve(args, {}, config_path=tmp_path / "none.yaml")
    settings = resolved.settings
    assert settings.manager == A
    assert settings.cluster == (B, C)
    assert settings.managers == (A, B, C)
    assert resolved.source("manager") == "flag --manager"
    assert ("manager", f"{A}, {B}, {C}", "flag --manager") in resolved.rows()


def test_one_manager_flag_is_no_cluster(tmp_path: Path) -> None:
    args = cli.build_parser().parse_args(["--manager", A])
    settings = resolve(args, {}, config_path=tmp_path / "none.yaml").settings
    assert (settings.manager, settings.cluster, settings.managers) == (A, (), (A,))


def test_the_same_manager_twice_is_one_host(tmp_path: Path) -> None:
    args = {"manager": [A, "https://CFY-1.example.com:443/", B]}
    settings = resolve(args, {}, config_path=tmp_path / "none.yaml").settings
    assert settings.managers == (A, B)


def test_every_url_of_the_flag_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--manager must be an http\(s\) URL"):
        resolve({"manager": [A, "cfy-2.example.com"]}, {}, config_path=tmp_path / "n.yaml")


def test_environment_takes_commas(tmp_path: Path) -> None:
    settings = resolve(
        {}, {"CFY_TUI_MANAGER": f"{A}, {B}"}, config_path=tmp_path / "none.yaml"
    ).settings
    assert settings.managers == (A, B)


def test_config_file_manager_list(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        f"""
        default_profile: prod
        profiles:
          prod:
            manager:
              - {A}
              - {B}/
            username: admin
            password: pw
        """,
    )
    resolved = resolve({}, {}, config_path=config)
    assert resolved.settings.managers == (A, B)
    assert resolved.settings.password == "pw"
    assert resolved.source("manager") == f"config {config}:4, profile prod"
    [profile] = list_profiles(config, tmp_path / "no-cfy", {})
    assert profile.manager == f"{A}, {B}"


@pytest.mark.parametrize(
    ("value", "line", "problem"),
    [
        ("[]", 3, "expected at least one URL"),
        (f"[{A}, cfy-2.example.com]", 3, "http(s) URL"),
        (f"[{A}, [{B}]]", 3, "expected a single value"),
    ],
)
def test_config_file_bad_manager_lists(tmp_path: Path, value: str, line: int, problem: str) -> None:
    config = write_config(tmp_path / "c.yaml", f"profiles:\n  p:\n    manager: {value}\n")
    with pytest.raises(ConfigError) as info:
        resolve({"profile": "p"}, {}, config_path=config)
    assert info.value.line == line and info.value.key == "profiles.p.manager"
    assert problem in str(info.value)


def test_stored_credentials_go_only_to_hosts_the_profile_names(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        f"profiles:\n  p: {{manager: [{A}, {B}], username: u, password: prod-pw}}\n",
    )
    # A subset of the profile's cluster: its credentials are used.
    subset = resolve({"profile": "p", "manager": [B]}, {}, config_path=config)
    assert subset.settings.password == "prod-pw"
    # A host the profile does not name: they are not.
    other = resolve({"profile": "p", "manager": [A, C]}, {}, config_path=config)
    assert other.settings.password is None and other.settings.username is None


def cluster_context(**cluster: Any) -> dict[str, Any]:
    """A cfy CLI profile after `cfy cluster update-profile` on a three-manager cluster
    (reference/cfy-cli-wire.md §4.1): `manager_ip` is the last manager that answered."""
    return {
        **CONTEXT,
        "manager_ip": "10.0.0.2",
        "rest_protocol": "https",
        "rest_port": 443,
        "cluster": {
            "manager": [
                {"hostname": "cfy-1", "host_type": "manager", "host_ip": "10.0.0.1"},
                {"hostname": "cfy-2", "host_type": "manager", "host_ip": "10.0.0.2"},
                {
                    "hostname": "cfy-3",
                    "host_type": "manager",
                    "host_ip": "10.0.0.3",
                    "rest_port": 8443,
                },
            ],
            "broker": [{"hostname": "mq-1", "host_type": "broker", "host_ip": "10.0.1.1"}],
            "db": [{"hostname": "db-1", "host_type": "db", "host_ip": "10.0.2.1"}],
            **cluster,
        },
    }


def test_cfy_profile_with_cluster_nodes(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "w", {"prod": cluster_context()}, active="prod")
    resolved = resolve({}, {"CFY_WORKDIR": str(work)}, config_path=tmp_path / "none.yaml")
    settings = resolved.settings
    # The profile's manager first (as the cfy CLI tries it), then the other managers;
    # brokers and database nodes are not managers.
    assert settings.managers == (
        "https://10.0.0.2",
        "https://10.0.0.1",
        "https://10.0.0.3:8443",
    )
    assert settings.username == "cfy-user" and settings.password == "cfy-profile-pw"
    assert resolved.source("manager").endswith("(manager_ip, rest_port, rest_protocol, cluster)")
    [profile] = list_profiles(tmp_path / "none.yaml", work / ".cloudify", {})
    assert profile.manager == "https://10.0.0.2, https://10.0.0.1, https://10.0.0.3:8443"


def test_cfy_profile_of_an_all_in_one_manager(tmp_path: Path) -> None:
    work = cfy_workdir(tmp_path / "w")
    settings = resolve({}, {"CFY_WORKDIR": str(work)}, config_path=tmp_path / "n.yaml").settings
    assert settings.managers == ("http://127.0.0.1:18080",)


@pytest.mark.parametrize(
    "managers",
    [None, [], "10.0.0.9", [None, 3, {"hostname": "no-ip"}, {"host_ip": 7}]],
)
def test_cfy_profile_with_odd_cluster_entries(tmp_path: Path, managers: Any) -> None:
    context = cluster_context(manager=managers)
    work = cfy_workdir(tmp_path / "w", {"prod": context}, active="prod")
    settings = resolve({}, {"CFY_WORKDIR": str(work)}, config_path=tmp_path / "n.yaml").settings
    assert settings.managers == ("https://10.0.0.2",)


def test_cli_gives_every_host_to_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    class RecordingClient(ManagerClient):
        def __init__(self, url: Any, **kw: Any) -> None:
            seen.append(url)
            super().__init__(url, **kw)

    def fake_run(self: CfyTuiApp, *args: Any, **kw: Any) -> None:
        seen.append(self)

    monkeypatch.setattr("tui.connections.ManagerClient", RecordingClient)
    monkeypatch.setattr(CfyTuiApp, "run", fake_run)
    monkeypatch.setenv("CLOUDIFY_PASSWORD", "pw")
    argv = ["--manager", A, "--manager", B, "--username", "admin"]
    assert cli.main(argv) == 0
    urls, app = seen
    assert urls == [A, B]
    assert app.client.hosts.urls == (A, B)
    assert app.identity.url == A


def test_a_url_that_cannot_be_parsed_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--manager must be an http\(s\) URL.*IPv6"):
        resolve({"manager": [A, "http://[::1"]}, {}, config_path=tmp_path / "none.yaml")
    work = cfy_workdir(tmp_path / "work", {"v6": {**CONTEXT, "manager_ip": "[::1"}}, "v6")
    with pytest.raises(ConfigError, match="manager_ip, rest_port, rest_protocol: must be"):
        resolve({}, {"CFY_WORKDIR": str(work)}, config_path=tmp_path / "none.yaml")
