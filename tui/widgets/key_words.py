"""Keys named as people type them."""

from __future__ import annotations

from textual.binding import Binding


class KeyWords:
    """Mix into the App class, before `App`: keys in words where Textual draws a symbol
    (`enter`, not a return glyph; `ctrl+s`, not `^s`), the same in footer, help and
    palette. A binding's own `key_display` is kept."""

    def get_key_display(self, binding: Binding) -> str:
        shown: str = super().get_key_display(binding)  # type: ignore[misc]
        if binding.key_display:
            return shown
        return shown.replace("⏎", "enter").replace("^", "ctrl+")
