"""URLs as the user gives them and as they may be shown.

A manager URL may carry credentials (`https://user:pw@host`): they are used to log
in, and never shown. Kept apart from the client so that the widgets, which show the
URL, need not import the module that makes requests.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit


def userinfo(url: str) -> tuple[str | None, str | None]:
    """The user name and password a URL carries, if any (percent-decoded)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, None
    if parts.username is None:
        return None, None
    return unquote(parts.username), None if parts.password is None else unquote(parts.password)


def redact_url(url: str) -> str:
    """`url` without the `user:password@` part, for messages, logs and the screen."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
