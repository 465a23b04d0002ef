"""`cfy-tui --log FILE`: a debug log for support, through the `logging` module.

One line per request (method, path, status, milliseconds) from `ManagerClient`'s
`on_request` hook, plus what the app's own loggers (`tui.*`) report. Never a header,
a body or a query string, so never a password or a token: the hook is not given them.
Only the `tui` logger hierarchy writes to the file; httpx's own loggers print whole
URLs with their query strings and are left out.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

LOGGER = "tui"
requests_log = logging.getLogger("tui.requests")


def log_request(method: str, path: str, status: int | None, seconds: float) -> None:
    """The `on_request` hook of `ManagerClient`."""
    requests_log.debug(
        "%s %s %s %.1fms",
        method,
        path.split("?", 1)[0],
        "-" if status is None else status,
        seconds * 1000,
    )


def open_log(path: str | os.PathLike[str]) -> logging.Handler:
    """Append debug lines to `path` (created readable by its owner only)."""
    target = Path(path)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler
