"""Building a client and the shown identity from resolved settings, and again for
another tenant or profile when the user switches inside the app.

Lives above the layers (like `tui/cli.py`): it reads `tui.config` and builds
`tui.api` clients; the app only asks it for a new connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tui.api.client import ManagerClient
from tui.config import (
    PROFILE,
    SETTINGS,
    ConfigError,
    ProfileInfo,
    Resolved,
    list_profiles,
    resolve,
)
from tui.identity import Identity

OnRequest = Callable[[str, str, int | None, float], None]

# The environment variables a switch of profile stops reading: the profile says
# which manager, and how to log in to it.
PROFILE_DECIDES = frozenset(
    {PROFILE.env} | {s.env for s in SETTINGS if s.env and (s.name == "manager" or s.connection)}
)


@dataclass
class Connection:
    client: ManagerClient
    identity: Identity
    resolved: Resolved


class Connections:
    """Knows how the app was configured, so it can connect again differently."""

    def __init__(
        self,
        resolved: Resolved,
        *,
        on_request: OnRequest | None = None,
        environ: Mapping[str, str] | None = None,
        switchable_profiles: bool = True,
    ) -> None:
        self.resolved = resolved
        self.on_request = on_request
        self.environ = dict(os.environ if environ is None else environ)
        self.switchable_profiles = switchable_profiles

    def connect(self, resolved: Resolved | None = None) -> Connection:
        resolved = resolved or self.resolved
        settings = resolved.settings
        token = settings.token if settings.auth == "token" else None
        client = ManagerClient(
            # One manager's URL, or the hosts of its cluster in the order to try them.
            list(settings.managers) if settings.cluster else (settings.manager or ""),
            username=None if token else settings.username,
            password=None if token else settings.password,
            token=token,
            tenant=settings.tenant,
            ca_cert=settings.ca_cert,
            verify=not settings.insecure,
            on_request=self.on_request,
        )
        identity = Identity(
            url=settings.manager or "",
            tenant=settings.tenant,
            user="" if token else (settings.username or ""),
            read_only=settings.read_only,
            insecure=settings.insecure,
        )
        return Connection(client, identity, resolved)

    def for_tenant(self, tenant: str) -> Connection:
        """The same manager and identity in another tenant."""
        resolved = self.resolved.with_value("tenant", tenant, "switched in the app")
        self.resolved = resolved
        return self.connect(resolved)

    def profiles(self) -> list[ProfileInfo]:
        if not self.switchable_profiles:
            return []
        try:
            return list_profiles(environ=self.environ)
        except ConfigError:
            return []

    def for_profile(self, name: str, password: str | None = None) -> Connection:
        """Settings resolved again for profile `name` (flags no longer apply: the
        profile decides). Raises ConfigError, or `NeedsPassword` when only a password
        is missing."""
        environ = {k: v for k, v in self.environ.items() if k not in PROFILE_DECIDES}
        resolved = resolve({"profile": name}, environ)
        settings = resolved.settings
        if not settings.manager:
            raise ConfigError(f"profile {name} names no manager")
        if settings.auth != "token" and not settings.password:
            if password is None:
                raise NeedsPassword(name, settings.username or "")
            resolved = resolved.with_value("password", password, "prompt")
        self.resolved = resolved
        return self.connect(resolved)


class NeedsPassword(Exception):
    def __init__(self, profile: str, username: str) -> None:
        super().__init__(f"profile {profile} needs the password of {username}")
        self.profile = profile
        self.username = username
