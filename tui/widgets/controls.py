"""Form controls whose state reads in text, drawn with the glyph table.

Textual's Checkbox draws `▐X▌` with the X there whether on or off (only its colour
changes: nothing under NO_COLOR, and block glyphs an ASCII terminal lacks); its
password Input masks with `•`. These subclasses change only what is drawn: keys,
clicks, messages (`Checkbox.Changed`) and CSS type selectors stay Textual's.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox, Input

from tui.widgets.glyphs import glyph


def check_mark(value: bool, ascii_only: bool = False) -> str:
    """`[x]` or `[ ]`."""
    return glyph("checked" if value else "unchecked", ascii_only)


class StateCheckbox(Checkbox):
    """`[x] force` / `[ ] force`; space, enter and a click toggle it as before."""

    def _mark(self) -> Content:
        ascii_only = getattr(self.app, "ascii_only", False)
        return Content.styled(
            check_mark(self.value, ascii_only), self.get_visual_style("toggle--button")
        )

    def render(self) -> Content:
        label = self.label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label"))
        return Content.assemble(self._mark(), label)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        mark = len(check_mark(self.value))
        return mark + (2 if self.label else 0) + self.label.get_optimal_width(self.styles, 0)


class MaskedInput(Input):
    """An Input whose password mask comes from the glyph table (`•`, or `*`)."""

    @property
    def _value(self) -> Text:
        if not self.password:
            return super()._value
        mask = glyph("secret", getattr(self.app, "ascii_only", False))
        return Text(mask * len(self.value), no_wrap=True, overflow="ignore", end="")
