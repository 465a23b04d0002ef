"""Manager URLs as settings: checked, listed once each however they are spelled, and
shown without the credentials they may carry.

Showing goes through `tui.api.urls.redact_url`, the one redaction of the app,
imported on first use: importing `tui.api` loads the HTTP client (httpx, about
170 ms), which `cfy-tui --help` or a bad setting should not wait for; by the time
settings are shown, the app has loaded it anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlparse


def redacted(url: str) -> str:
    """`url` as shown: `https://***@host` when it carries credentials."""
    from tui.api.urls import redact_url

    return redact_url(url)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a manager's URL, or None when it can."""
    try:
        parsed = urlparse(url.strip())
    except ValueError as exc:  # an unclosed IPv6 bracket, ...
        return f"must be an http(s) URL, got {redacted(url)!r} ({exc})"
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"must be an http(s) URL, got {redacted(url)!r}"
    return None


def url_has_password(url: str) -> bool:
    try:
        return urlparse(url).password is not None
    except ValueError:
        return False


def url_list(value: str | Iterable[str]) -> tuple[str, ...]:
    """A flag's or the environment's manager URLs: `--manager` may be repeated."""
    urls = [value] if isinstance(value, str) else list(value)
    return tuple(url.strip() for url in urls if url.strip())


def unique_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """`urls` in order, each manager once (however its URL is spelled)."""
    unique: list[str] = []
    for url in urls:
        if not any(same_manager(url, seen) for seen in unique):
            unique.append(url)
    return tuple(unique)


def all_known(hosts: Iterable[str], known: Iterable[str]) -> bool:
    """Whether every one of `hosts` is one of `known`: a profile's stored credentials go
    only to managers that profile names."""
    known = tuple(known)
    return all(any(same_manager(host, k) for k in known) for host in hosts)


def same_manager(a: str, b: str) -> bool:
    def key(url: str) -> tuple[str, str, int | None, str]:
        try:
            parsed = urlparse(url)
        except ValueError:  # not a URL: only the same text is the same manager
            return "", url, None, ""
        try:
            port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
        except ValueError:
            port = None
        return parsed.scheme, (parsed.hostname or "").lower(), port, parsed.path.rstrip("/")

    return key(a) == key(b)
