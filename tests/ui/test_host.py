"""The app provides every member of `Host`, the protocol screens read it through
(screens never import the app module, so nothing else would notice a member the
app lost or renamed until a key used it)."""

from __future__ import annotations

import inspect

from tui.api.client import ManagerClient
from tui.app import CfyTuiApp
from tui.identity import Identity
from tui.screens.host import Host


def test_the_app_provides_every_member_of_host() -> None:
    client = ManagerClient("http://127.0.0.1:9", username="admin", password="x")
    app = CfyTuiApp(client, Identity(url=client.url, tenant="default_tenant", user="admin"))
    members = set(inspect.get_annotations(Host)) | {
        name for name, _ in inspect.getmembers(Host) if not name.startswith("_")
    }
    members -= {name for name, _ in inspect.getmembers(object)}
    assert {"client", "poller", "watch_list", "open_execution", "push_screen_wait"} <= members
    missing = sorted(name for name in members if not hasattr(app, name))
    assert missing == []
    for name in members:
        wanted = getattr(Host, name, None)
        if inspect.iscoroutinefunction(wanted):
            assert inspect.iscoroutinefunction(getattr(app, name)), name
