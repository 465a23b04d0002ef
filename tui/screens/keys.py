"""A screen's keys as one table: each row declares a key, what it does, where it acts
and whether it changes anything on a manager. The screen's `BINDINGS`, its read-only
set, its refusal fallbacks, its help rows and its palette entries all derive from the
table, so a new key is one row and one `action_` method."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    key: str
    action: str
    description: str
    id: str
    tooltip: str = ""
    show: bool = True
    # The help's "where" column (the screen's default when empty).
    where: str = ""
    # Changes something on a manager: hidden from help and palette, and refused with
    # a reason, in read-only mode.
    mutating: bool = False
    # When it cannot run, a hidden fallback on the same key says why (a key never
    # does nothing silently); mutating keys always have one.
    explained: bool = False
    # The pane that must have the focus (a widget id), or "" for anywhere.
    pane: str = ""
    # Offered in the command palette (keys of the app itself, such as quit, are not).
    palette: bool = True

    @property
    def refusable(self) -> bool:
        return self.mutating or self.explained


class KeyTable:
    def __init__(self, keys: Sequence[Key]) -> None:
        self.keys = tuple(keys)
        # Read on every `check_action` (each binding, each refresh): computed once.
        self.mutating = frozenset(k.action for k in self.keys if k.mutating)
        self.refusable = tuple(dict.fromkeys(k.action for k in self.keys if k.refusable))
        self._panes = {k.action: k.pane for k in self.keys}

    def bindings(self) -> list[Binding]:
        """The bindings, then a hidden `refused('<action>')` binding on the key of each
        refusable one. Textual tries a key's bindings in order and skips one whose
        `check_action` is falsy, so when the action cannot run, the fallback runs."""
        primary = [
            Binding(k.key, k.action, k.description, show=k.show, id=k.id, tooltip=k.tooltip)
            for k in self.keys
        ]
        fallbacks = [
            Binding(k.key, f"refused('{k.action}')", show=False, id=f"{k.id}.refused")
            for k in self.keys
            if k.refusable
        ]
        return primary + fallbacks

    def pane_of(self, action: str) -> str:
        return self._panes.get(action, "")

    def visible(self, read_only: bool) -> list[Key]:
        """The keys that do something in this mode."""
        return [k for k in self.keys if not (read_only and k.mutating)]

    def help_rows(
        self, *, read_only: bool, display: Callable[[Binding], str], default_where: str
    ) -> list[tuple[str, str, str]]:
        """(key as the footer names it, description, where) per key."""
        rows = []
        for key in self.visible(read_only):
            binding = Binding(key.key, key.action, key.description, show=key.show, id=key.id)
            rows.append((display(binding), key.description, key.where or default_where))
        return rows

    def palette_entries(
        self, screen: Any, *, read_only: bool, runnable: Callable[[str], bool]
    ) -> list[tuple[str, str, Any]]:
        """(name, help, callback) for the command palette: each action once, those of
        the app left out, and those that cannot run in this state (`runnable`)."""
        entries = []
        seen: set[str] = set()
        for key in self.visible(read_only):
            if not key.palette or key.action in seen or not runnable(key.action):
                continue
            seen.add(key.action)
            callback = getattr(screen, f"action_{key.action}")
            entries.append((key.description, key.tooltip or key.description, callback))
        return entries
