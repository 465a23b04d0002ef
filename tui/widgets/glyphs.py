"""The app's vocabulary on screen, in one table: every glyph it draws with its ASCII
pair, and the word and group of every execution status.

Status words never depend on a glyph (UX.md: word plus glyph, never colour or icon
alone), so an ASCII terminal loses nothing but looks. `--ascii` (or a terminal whose
encoding is not Unicode) picks the right-hand column everywhere; a test renders every
screen in that mode and finds none of the left-hand column.

Node instance states have their own table, drawn in the same groups (one more:
`partial`).

A status's look is: its word and group here; the group's glyph pair here; the
group's colour in styles/app.tcss (the component class `status--<group>`, read by
tui/widgets/status.py as the palette).
"""

from __future__ import annotations

from typing import Literal

# execution status -> (group, word as shown)
STATUSES: dict[str, tuple[str, str]] = {
    "terminated": ("done", "completed"),
    "completed": ("done", "completed"),
    "failed": ("failed", "failed"),
    "cancelled": ("cancelled", "cancelled"),
    "pending": ("running", "pending"),
    "started": ("running", "started"),
    "in_progress": ("running", "in progress"),
    "cancelling": ("stopping", "cancelling"),
    "force_cancelling": ("stopping", "force-cancelling"),
    "kill_cancelling": ("stopping", "kill-cancelling"),
    "queued": ("waiting", "queued"),
    "scheduled": ("waiting", "scheduled"),
}
# node instance state -> (group, word as shown). `partial`: a stable state short of
# started (what a failed install or a stopped uninstall leaves behind).
INSTANCE_STATES: dict[str, tuple[str, str]] = {
    "uninitialized": ("none", "uninitialized"),
    "initializing": ("running", "initializing"),
    "creating": ("running", "creating"),
    "created": ("partial", "created"),
    "configuring": ("running", "configuring"),
    "configured": ("partial", "configured"),
    "starting": ("running", "starting"),
    "started": ("done", "started"),
    "stopping": ("stopping", "stopping"),
    "stopped": ("partial", "stopped"),
    "deleting": ("stopping", "deleting"),
    "deleted": ("none", "deleted"),
}
# No status at all (an execution-less deployment): this group and word. A status not in
# STATUSES is in the group "unknown" and shown as the manager says it.
NO_STATUS: tuple[str, str] = ("none", "none")
STATUS_GROUPS: tuple[str, ...] = (
    *dict.fromkeys(group for group, _ in STATUSES.values()),
    "partial",
    "none",
    "unknown",
)

GLYPHS: dict[str, tuple[str, str]] = {
    # execution status groups (STATUS_GROUPS)
    "done": ("✓", "ok"),
    "failed": ("✗", "FAIL"),
    "cancelled": ("⊘", "cxl"),
    "running": ("⟳", "run"),
    "stopping": ("…", ".."),
    "waiting": ("◷", "wait"),
    "partial": ("◐", "~"),
    "none": ("·", "-"),
    "unknown": ("?", "?"),
    # yes / no answers (workflow availability, checks)
    "yes": ("✓", "+"),
    "no": ("✗", "x"),
    "problem": ("✗", "x"),
    # connection and tail states
    "connected": ("●", "*"),
    "connecting": ("○", "o"),
    "disconnected": ("✗", "x"),
    "following": ("●", "*"),
    "not_following": ("○", "o"),
    "ended": ("■", "#"),
    "pinned": ("★", "*"),
    # punctuation of ours
    "sep": ("·", "|"),
    "at_least": ("≥", ">="),
    "range": ("–", "-"),
    "open_quote": ("“", '"'),
    "close_quote": ("”", '"'),
    "more": ("…", "..."),
    "replacement": ("\N{REPLACEMENT CHARACTER}", "?"),  # for control characters
    "up_down": ("↑ ↓", "up down"),
    "sort_up": ("▲", "^"),
    "sort_down": ("▼", "v"),
    "bar_done": ("━", "#"),
    "bar_todo": ("─", "-"),
    "bar_left": ("", "["),
    "bar_right": ("", "]"),
    # controls (tui/widgets/controls.py): state in text, not in colour
    "checked": ("[x]", "[x]"),
    "unchecked": ("[ ]", "[ ]"),
    "secret": ("•", "*"),
    "marked": ("◆", "+"),
}


def glyph(name: str, ascii_only: bool = False) -> str:
    """The glyph called `name` (a KeyError for a name not in the table: a typo must
    fail in tests, not draw nothing)."""
    unicode, ascii = GLYPHS[name]
    return ascii if ascii_only else unicode


def sep(ascii_only: bool = False) -> str:
    """The separator between the parts of a status line: ` · ` or ` | `."""
    return f" {glyph('sep', ascii_only)} "


def overflow(ascii_only: bool = False) -> Literal["ellipsis", "crop"]:
    """How a line too long for its place ends: Rich cuts with `…` (the `more` glyph),
    which an ASCII terminal cannot show, so ASCII lines are cropped instead."""
    return "crop" if ascii_only else "ellipsis"
