"""The one sanitising helper: every string that came from a server reaches the
screen through here.

Rich and Textual interpret markup in plain strings (`[@click=app.quit]` runs an
action) and pass ESC, C1 controls, NUL and DEL through to the terminal. A
`rich.text.Text` is never parsed as markup; the regexes below replace control
characters, bidirectional overrides and zero-width characters, so server data can
neither act on the app nor on the terminal.
"""

from __future__ import annotations

import re
from typing import Any

from rich.style import Style
from rich.text import Text

from tui.widgets.glyphs import glyph, overflow

REPLACEMENT = glyph("replacement")
# C0 except tab and newline, DEL, C1; bidi embeddings/overrides/isolates; lone
# surrogates (JSON can carry "\ud800": not text, and no terminal encoding takes it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Zero-width and invisible formatting characters that can hide or reorder text
# (U+061C is the Arabic letter mark, a bidi control like U+200E/U+200F).
_INVISIBLE = re.compile(r"[\u061c\u200b-\u200f\u2060-\u2064\ufeff]")
_WHITESPACE = re.compile(r"[\t\n]+")
DEFAULT_LIMIT = 2000


def clean(
    value: Any,
    *,
    limit: int | None = DEFAULT_LIMIT,
    single_line: bool = True,
    ascii_only: bool = False,
) -> str:
    """Server text made inert: control characters replaced, invisible ones dropped,
    newlines folded to spaces (unless `single_line` is False), length capped. The
    marks it adds (the cut's `…`, U+FFFD for a control character) are ASCII with
    `ascii_only`; the server's own characters are kept."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + glyph("more", ascii_only)
    text = _INVISIBLE.sub("", _CONTROL.sub(glyph("replacement", ascii_only), text))
    if single_line:
        text = _WHITESPACE.sub(" ", text)
    return text


def safe(
    value: Any,
    style: str | Style = "",
    *,
    limit: int | None = DEFAULT_LIMIT,
    single_line: bool = True,
    ascii_only: bool = False,
) -> Text:
    """A `Text` of server data: never markup, never a control sequence."""
    return Text(
        clean(value, limit=limit, single_line=single_line, ascii_only=ascii_only),
        style=style,
        no_wrap=single_line,
        overflow=overflow(ascii_only),
    )
