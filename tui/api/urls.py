"""URLs as the user gives them and as they may be shown.

A manager URL may carry credentials (`https://user:pw@host`): they are used to log
in, and never shown. Kept apart from the client so that the widgets and the
settings, which show the URL, need not import the module that makes requests.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

# What stands for `user:password` in a URL that is shown: says that the URL carries
# credentials without telling them.
REDACTED = "***"


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
    """`url` as shown in messages, logs and on the screen: its `user:password@`
    part, if any, replaced by `***@` (`https://***@host`)."""
    return _hide_raw_password(_with_userinfo(url, REDACTED + "@"))


def _hide_raw_password(url: str) -> str:
    """A password typed with a raw `/`, `?` or `#` ends the authority early: in
    `https://admin:pa/ss@cfy` urlsplit finds the host `admin:pa` and the path
    `/ss@cfy`, so no `user:password@` is there to replace. When the authority holds a
    `:` (or an `@`: `p@s/s` left `***@s/s@cfy` after the first replacement) and an `@`
    follows, everything up to the last `@` is hidden, even in the rare
    `host:port/path@x` (`admin:12/34@cfy` reads as host and port too; better hide too
    much than a password). Only what is shown is at stake: such a URL carries no
    credentials (`userinfo`), and requests go to `without_userinfo`'s address."""
    start, authority, after = _authority_by_hand(url)
    if not start or "@" not in after or authority.startswith("["):
        return url
    if ":" not in authority and "@" not in authority:
        return url
    return start + REDACTED + "@" + (authority + after).rpartition("@")[2]


def without_userinfo(url: str) -> str:
    """`url` without its `user:password@` part: the address requests go to once
    the credentials it carried are taken out (`userinfo`)."""
    return _with_userinfo(url, "")


def _with_userinfo(url: str, replacement: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed `[` of an IPv6 host: still never show a password
        return _with_userinfo_by_hand(url, replacement)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=replacement + parts.netloc.rpartition("@")[2]))


def _with_userinfo_by_hand(url: str, replacement: str) -> str:
    """What `urlsplit` would give for a URL it refuses."""
    start, netloc, after = _authority_by_hand(url)
    if not start or "@" not in netloc:
        return url
    return start + replacement + netloc.rpartition("@")[2] + after


def _authority_by_hand(url: str) -> tuple[str, str, str]:
    """(everything up to and with the first `//`, the authority, the rest): the
    authority runs from `//` to the first `/`, `?` or `#`, or to the end. No `//`:
    ("", "", url)."""
    head, slashes, rest = url.partition("//")
    if not slashes:
        return "", "", url
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    return head + slashes, rest[:end], rest[end:]
