"""The effective settings and where each came from (flag, environment, config file,
cfy CLI profile, default), secrets masked, warnings on top."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.live.snapshot import Snapshot
from tui.widgets.safe import safe

PRECEDENCE = "First wins: flags, environment, config file profile, cfy CLI profile, default."


def settings_table(rows: Sequence[tuple[str, str, str]], *, ascii_only: bool = False) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=True)
    table.add_column("Setting", no_wrap=True)
    table.add_column("Value", ratio=2)
    table.add_column("From", ratio=3, style="dim")
    for name, value, source in rows:
        table.add_row(
            safe(name, limit=80, ascii_only=ascii_only),
            _wrapping(value, 400, ascii_only),
            _wrapping(source, 400, ascii_only),
        )
    return table


def _wrapping(value: str, limit: int, ascii_only: bool = False) -> Text:
    """`safe()` text that may wrap (long paths and URLs) rather than be cut."""
    text = safe(value, limit=limit, ascii_only=ascii_only)
    text.no_wrap = False
    text.overflow = "fold"
    return text


def warning_line(warning: str, *, ascii_only: bool = False) -> Text:
    line = Text("Warning: ", style="bold")
    return line.append_text(_wrapping(warning, 600, ascii_only))


def with_hosts(
    rows: Sequence[tuple[str, str, str]], hosts: Sequence[str], in_use: int
) -> list[tuple[str, str, str]]:
    """`rows` with the `manager` row of a cluster split into one row per host, the one
    in use marked: which host answers changes while the app runs."""
    if len(hosts) < 2:
        return list(rows)
    shown: list[tuple[str, str, str]] = []
    for name, value, source in rows:
        if name != "manager":
            shown.append((name, value, source))
            continue
        for index, host in enumerate(hosts):
            label = f"manager {index + 1}/{len(hosts)}" + (" (in use)" if index == in_use else "")
            shown.append((label, host, source))
    return shown


def settings_view(
    rows: Sequence[tuple[str, str, str]], hosts: Sequence[str], in_use: int, snapshot: Snapshot
) -> list[tuple[str, str, str]]:
    """The effective settings (a cluster's hosts one per row), then what this manager
    does not give (a column shows a dash for it) and why."""
    missing = [
        (f"{resource}.{name}", "not given", why) for resource, name, why in snapshot.missing_fields
    ]
    return [*with_hosts(rows, hosts, in_use), *missing]


class SettingsScreen(ModalScreen[None]):
    """Read-only view of `CfyTuiApp.settings_rows` and `.warnings`."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="settings.close")]

    def __init__(self, rows: Sequence[tuple[str, str, str]], warnings: Sequence[str] = ()) -> None:
        super().__init__(classes="dialog-screen")
        self._rows = list(rows)
        self._warnings = list(warnings)

    def compose(self) -> ComposeResult:
        ascii_only = getattr(self.app, "ascii_only", False)
        with Vertical(id="settings-dialog", classes="dialog -wide"):
            yield Static(Text("Settings", style="bold"), id="settings-title", markup=False)
            if self._warnings:
                with VerticalScroll(id="settings-warnings", classes="settings-warnings"):
                    for warning in self._warnings:
                        yield Static(
                            warning_line(warning, ascii_only=ascii_only),
                            classes="settings-warning",
                            markup=False,
                        )
            with VerticalScroll(id="settings-body"):
                table = settings_table(self._rows, ascii_only=ascii_only)
                yield Static(table, id="settings-table", markup=False)
            yield Static(Text(f"{PRECEDENCE} esc closes.", style="dim"), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
