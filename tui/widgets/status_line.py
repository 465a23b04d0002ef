"""The status line: where we are connected, as whom, and how fresh the data is."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from tui.api.client import redact_url
from tui.live.snapshot import Snapshot
from tui.widgets import fmt
from tui.widgets.safe import safe


@dataclass(frozen=True)
class Identity:
    """Who and where, as shown; never a secret."""

    url: str
    tenant: str
    user: str
    read_only: bool = False
    insecure: bool = False


def status_line_text(
    snapshot: Snapshot, identity: Identity, version: str | None, now: float
) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    # The warnings come first: the line is cut at the right edge (always at 80 columns,
    # and at any width while a long error is shown), and these must stay visible.
    for shown, flag in (
        (identity.insecure, "TLS NOT VERIFIED"),
        (identity.read_only, "READ-ONLY"),
        (snapshot.paused, "PAUSED"),
    ):
        if shown:
            line.append(flag, style="bold reverse")
            line.append(" · ")
    conn = snapshot.connection
    if conn.connected:
        line.append("● connected", style="bold")
    elif snapshot.updated_at is None and conn.failures == 0:
        line.append("○ connecting…")
    else:
        retry = (
            "" if conn.retry_at is None else f", retrying in {max(0, round(conn.retry_at - now))}s"
        )
        line.append(f"✗ disconnected{retry}", style="bold reverse")
        if conn.error:
            line.append(": ")
            line.append_text(safe(conn.error, limit=120))
    line.append(" · ")
    line.append_text(safe(redact_url(identity.url), limit=80))  # no user:password@
    if version:
        line.append(" · manager ")
        line.append_text(safe(version, limit=20))
    line.append(" · tenant ")
    line.append_text(safe(identity.tenant, limit=60))
    line.append(" · user ")
    line.append_text(safe(identity.user or "token", limit=60))
    age = snapshot.age(now)
    if age is not None:
        line.append(f" · updated {fmt.age(age)} ago")
        if snapshot.stale:
            line.append(" (stale)", style="bold")
    return line


class StatusLine(Static):
    """One line at the bottom; updated by the screen from each snapshot."""

    def show(self, text: Text) -> None:
        self.update(text)
