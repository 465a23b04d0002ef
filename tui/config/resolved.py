"""The outcome of resolving: the settings, where each came from, and how they are
shown in the settings view."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tui.config.profiles import ProfileInfo
from tui.config.settings import DECLARED, NAMES, Settings, shown

# The settings view's order: the profile first, then the settings as declared (the
# cluster's hosts are shown with the manager).
_SHOWN = ("profile_name", *(name for name in NAMES if name not in ("profile_name", "cluster")))


@dataclass(frozen=True)
class Resolved:
    """Settings plus where each came from, warnings, and the profiles available."""

    settings: Settings
    sources: dict[str, str]
    warnings: list[str]
    profiles: list[ProfileInfo]
    config_path: Path | None = None
    config_source: str = ""

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")

    def with_value(self, name: str, value: Any, source: str) -> Resolved:
        """A copy with one setting replaced (a prompted password, the demo's URL)."""
        return replace(
            self,
            settings=replace(self.settings, **{name: value}),
            sources={**self.sources, name: source},
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(setting, shown value, where it came from), secrets masked: for display."""
        rows: list[tuple[str, str, str]] = []
        if self.config_path is not None:
            exists = "" if self.config_path.is_file() else " (no such file)"
            rows.append(("config file", f"{self.config_path}{exists}", self.config_source))
        for name in _SHOWN:
            rows.extend(self._rows_of(name))
        return rows

    def _rows_of(self, name: str) -> list[tuple[str, str, str]]:
        value = getattr(self.settings, name)
        if name in DECLARED and DECLARED[name].kind.shape == "mapping":  # one row an entry
            if not value:
                return [(name, "(no overrides)", self.source(name))]
            return [
                (f"{name}: {entry}", entry_value, self.source(f"{name}.{entry}"))
                for entry, entry_value in sorted(value.items())
            ]
        if name == "manager" and value is not None:
            value = ", ".join(self.settings.managers)
        label = "profile" if name == "profile_name" else name.replace("_", " ")
        return [(label, shown(name, value), self.source(name))]
