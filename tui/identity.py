"""Who and where the app is connected as, for the screen: built from the settings by
`tui/connections.py`, shown by the status line and the settings view.

Plain data with no imports from the rest of `tui`, so every layer that shows it (the
widgets, the screens, the app) can take it without depending on a widget module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """Who and where, as shown; never a secret."""

    url: str
    tenant: str
    user: str
    read_only: bool = False
    insecure: bool = False
    # The hosts of a cluster and which one is in use: the line names that one (with
    # one host, `url` is shown).
    hosts: tuple[str, ...] = ()
    in_use: int = 0

    @property
    def shown_url(self) -> str:
        """The URL of the host in use."""
        if len(self.hosts) > 1 and 0 <= self.in_use < len(self.hosts):
            return self.hosts[self.in_use]
        return self.url
