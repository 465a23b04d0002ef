"""The status line: where we are connected, as whom, and how fresh the data is.

It must read whole at 80 columns: the manager, the tenant and the user stay visible
whatever else is going on. So the line is built at the width it has, from the fullest
form down to the most compact one that fits, and the error of a failed tick goes on a
line of its own (`error_line_text`) instead of pushing the rest off the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.widgets import Static

from tui.api.urls import redact_url
from tui.identity import Identity
from tui.live.snapshot import Snapshot
from tui.widgets import fmt
from tui.widgets.glyphs import glyph, overflow, sep
from tui.widgets.safe import clean, safe

# The compact forms, tried in this order until the line fits its width. The retry
# countdown is always on the error line too, so the status line may leave it out.
_FULL = {
    "show_version": True,
    "scheme": True,
    "retry": True,
    "age_words": True,
    "labels": True,
    "long_words": True,
    "age": True,
}
_FORMS = (
    _FULL,
    {**_FULL, "show_version": False},
    {**_FULL, "show_version": False, "scheme": False},
    {**_FULL, "show_version": False, "scheme": False, "retry": False, "age_words": False},
    {**{key: False for key in _FULL}, "age": True},
    # The last resort (a system workflow named, a long host): the age goes before the
    # tenant and user would be cut.
    {key: False for key in _FULL},
)


def status_line_text(
    snapshot: Snapshot,
    identity: Identity,
    version: str | None,
    now: float,
    *,
    width: int | None = None,
    ascii_only: bool = False,
) -> Text:
    """The fullest form that fits in `width` columns (all of it when None)."""
    line = Text()
    for form in _FORMS:
        line = _line(snapshot, identity, version, now, ascii_only=ascii_only, **form)
        if width is None or line.cell_len <= width:
            break
    line.no_wrap = True
    line.overflow = overflow(ascii_only)
    return line


def _line(
    snapshot: Snapshot,
    identity: Identity,
    version: str | None,
    now: float,
    *,
    ascii_only: bool,
    **form: bool,
) -> Text:
    """Warnings, connection, running system workflow, where, who, and the data's age,
    in the form `form` says (see `_FORMS`)."""
    dot = sep(ascii_only)
    line = Text()
    # The warnings come first: they must stay visible at any width.
    for shown, flag in (
        (identity.insecure, "TLS NOT VERIFIED"),
        (identity.read_only, "READ-ONLY"),
        (snapshot.paused, "PAUSED"),
    ):
        if shown:
            line.append(flag, style="bold reverse")
            line.append(dot)
    _connection(line, snapshot, now, ascii_only, form)
    line.append(dot)
    if snapshot.system_active:
        _system(line, snapshot, ascii_only, form)
        line.append(dot)
    _where(line, identity, version, ascii_only, form)
    line.append(dot)
    _who(line, identity, ascii_only, form)
    _age(line, snapshot, now, dot, form)
    return line


def _connection(
    line: Text, snapshot: Snapshot, now: float, ascii_only: bool, form: dict[str, bool]
) -> None:
    conn = snapshot.connection
    if conn.connected:
        line.append(f"{glyph('connected', ascii_only)} connected", style="bold")
    elif snapshot.updated_at is None and conn.failures == 0:
        line.append(f"{glyph('connecting', ascii_only)} connecting")
    elif conn.refused:
        line.append(
            f"{glyph('disconnected', ascii_only)} {conn.refused} refused, updates stopped",
            style="bold reverse",
        )
    else:
        retry = _retry(snapshot, now) if form["retry"] else ""
        line.append(
            f"{glyph('disconnected', ascii_only)} disconnected{', ' + retry if retry else ''}",
            style="bold reverse",
        )


def _system(line: Text, snapshot: Snapshot, ascii_only: bool, form: dict[str, bool]) -> None:
    """While a system workflow runs, the manager queues every start: say which (its
    status only where there is room: tenant and user come first)."""
    system = snapshot.system_active
    first = system[0]
    more = f" +{len(system) - 1}" if len(system) > 1 else ""
    words = (
        f"system {first.workflow_id} {first.status}{more}"
        if form["long_words"]
        else f"sys {first.workflow_id}{more}"
    )
    line.append_text(safe(words, "bold reverse", limit=40, ascii_only=ascii_only))


def _where(
    line: Text, identity: Identity, version: str | None, ascii_only: bool, form: dict[str, bool]
) -> None:
    url = redact_url(identity.shown_url)  # no user:password@
    if not form["scheme"]:
        url = url.split("://", 1)[-1]
    line.append_text(safe(url, limit=80, ascii_only=ascii_only))
    if len(identity.hosts) > 1:  # which of the cluster's hosts answers
        where = f"{identity.in_use + 1}/{len(identity.hosts)}"
        line.append(f" (host {where})" if form["labels"] else f" ({where})")
    if version and form["show_version"]:
        line.append(sep(ascii_only) + "manager ")
        line.append_text(safe(version, limit=20, ascii_only=ascii_only))


def _who(line: Text, identity: Identity, ascii_only: bool, form: dict[str, bool]) -> None:
    user = identity.user or "token"
    if form["labels"]:
        line.append("tenant ")
        line.append_text(safe(identity.tenant, limit=60, ascii_only=ascii_only))
        line.append(sep(ascii_only) + "user ")
        line.append_text(safe(user, limit=60, ascii_only=ascii_only))
    else:
        line.append_text(
            safe(
                f"{clean(user, limit=40)}@{clean(identity.tenant, limit=60)}", ascii_only=ascii_only
            )
        )


def _age(line: Text, snapshot: Snapshot, now: float, dot: str, form: dict[str, bool]) -> None:
    if snapshot.stale and snapshot.updated_at is not None:
        # The age of stale data does not tick: it is the time the data is from.
        when = datetime.fromtimestamp(snapshot.updated_at, tz=UTC).astimezone()
        line.append(dot)
        words = "data as of" if form["long_words"] else "data"
        line.append(f"{words} {when.strftime('%H:%M:%S')} (stale)", style="bold")
    elif form["age"]:
        age = snapshot.age(now)
        if age is not None:
            shown = fmt.age(age)
            line.append(dot + (f"updated {shown}" if form["age_words"] else shown))


def _retry(snapshot: Snapshot, now: float) -> str:
    retry_at = snapshot.connection.retry_at
    if retry_at is None:
        return ""
    seconds = round(retry_at - now)
    return f"retrying in {seconds}s" if seconds > 0 else "retrying now"


def error_line_text(snapshot: Snapshot, now: float, ascii_only: bool = False) -> Text | None:
    """When the next try is and why the last tick failed, on a line of its own (the
    countdown first: the error is what a narrow terminal cuts); None while connected."""
    conn = snapshot.connection
    if not conn.error and (conn.connected or conn.retry_at is None):
        return None
    if conn.connected:  # some requests of the tick were refused, the rest is shown
        line = Text(f"{glyph('problem', ascii_only)} refused: ", style="bold", no_wrap=True)
        line.overflow = overflow(ascii_only)
        line.append_text(safe(conn.error, limit=400, ascii_only=ascii_only))
        return line
    line = Text(
        f"{glyph('problem', ascii_only)} ",
        style="bold",
        no_wrap=True,
        overflow=overflow(ascii_only),
    )
    retry = _retry(snapshot, now)
    if retry:
        line.append(retry)
        if conn.error:
            line.append(sep(ascii_only))
    line.append_text(safe(conn.error, limit=400, ascii_only=ascii_only))
    if conn.refused:
        wanted = "the credentials" if conn.refused == "credentials" else "another tenant"
        line.append(f"{sep(ascii_only)}r: enter {wanted}")
    return line


class StatusLine(Static):
    """One line at the bottom, rebuilt for its width; updated by the screen."""

    _parts: tuple[Snapshot, Identity, str | None, float, bool] | None = None
    _shown: Text = Text()  # what the line says now

    def show_status(
        self,
        snapshot: Snapshot,
        identity: Identity,
        version: str | None,
        now: float,
        ascii_only: bool = False,
    ) -> None:
        parts = (snapshot, identity, version, now, ascii_only)
        if parts == self._parts:
            return
        self._parts = parts
        self._render_parts()

    def _render_parts(self) -> None:
        if self._parts is None:
            return
        snapshot, identity, version, now, ascii_only = self._parts
        width = self.content_size.width or None
        text = status_line_text(
            snapshot, identity, version, now, width=width, ascii_only=ascii_only
        )
        if text == self._shown and text.style == self._shown.style:
            return  # unchanged: nothing to write to the terminal (this runs every second)
        self._shown = text
        # One line, whatever it says: no layout pass (a layout of the screen repaints
        # every scrollbar on it).
        self.update(text, layout=False)

    def on_resize(self, event: events.Resize) -> None:
        self._render_parts()


class ErrorLine(Static):
    """The error of the last failed tick; hidden while connected."""

    def show_error(self, text: Text | None) -> None:
        self.display = text is not None
        if text is not None:
            self.update(text, layout=False)  # one line: no layout pass
