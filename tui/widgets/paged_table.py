"""A keyed table showing one page of a list that the manager pages."""

from __future__ import annotations

from textual import events
from textual.message import Message

from tui.widgets.keyed_table import KeyedTable


def page_turn(where: str, base: int, page: int, total: int) -> tuple[int, str]:
    """(offset of the page to show, where the cursor goes on it: "first" or "last")
    for a turn `where` from the page at `base`, of `total` rows in pages of `page`."""
    last = max(0, (total - 1) // page * page) if total else 0
    return {
        "next": (min(base + page, last), "first"),
        "previous": (max(0, base - page), "last"),
        "first": (0, "first"),
        "last": (last, "last"),
    }[where]


class PagedTable(KeyedTable):
    """One page of a list paged on the server; moving past either end (keys or the
    wheel) asks for the next page, and `g`/`G` (home/end) go to the first or last
    row of the whole list. The screen turns the page and says where the cursor
    goes."""

    class PageRequested(Message):
        """`where`: "next", "previous", "first" or "last" page of the list; `wheel`:
        asked by the mouse wheel (ignored while another turn is on its way, or a fast
        wheel would skip pages)."""

        def __init__(self, where: str, *, wheel: bool = False) -> None:
            super().__init__()
            self.where = where
            self.wheel = wheel

    more_before = False
    more_after = False

    def _at_end(self, forward: bool) -> bool:
        if not self.row_count:
            return False
        if forward:
            return self.more_after and self.cursor_row >= self.row_count - 1
        return self.more_before and self.cursor_row <= 0

    def _turn(self, forward: bool) -> bool:
        """Ask for the next or previous page when the cursor is at that end."""
        if self._at_end(forward):
            self.post_message(self.PageRequested("next" if forward else "previous"))
            return True
        return False

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        """The wheel past the page's last row turns to the next page."""
        if self._wheel_turns(event, forward=True):
            return
        super()._on_mouse_scroll_down(event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self._wheel_turns(event, forward=False):
            return
        super()._on_mouse_scroll_up(event)

    def _wheel_turns(self, event: events.MouseEvent, *, forward: bool) -> bool:
        if event.ctrl or event.shift or not self.row_count:
            return False
        at_end = self.scroll_y >= self.max_scroll_y if forward else self.scroll_y <= 0
        more = self.more_after if forward else self.more_before
        if not (at_end and more):
            return False
        event.stop()
        self.post_message(self.PageRequested("next" if forward else "previous", wheel=True))
        return True

    def action_cursor_down(self) -> None:
        if not self._turn(True):
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if not self._turn(False):
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if not self._turn(True):
            super().action_page_down()

    def action_page_up(self) -> None:
        if not self._turn(False):
            super().action_page_up()

    def action_first_row(self) -> None:
        if self.more_before:
            self.post_message(self.PageRequested("first"))
        super().action_first_row()

    def action_last_row(self) -> None:
        if self.more_after:
            self.post_message(self.PageRequested("last"))
        super().action_last_row()
