"""The one error a setting can give: what is wrong, and where it was set."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A setting that cannot be used. `str()` names the file and line when there is
    one (`path:line: key: problem`); `.path`, `.line` and `.key` say the same."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else Path(path)
        self.line = line
        self.key = key

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"
