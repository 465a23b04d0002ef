"""URLs that carry credentials: shown with `***@`, sent to without them."""

from __future__ import annotations

import pytest

from tui.api.urls import (
    _with_userinfo,
    _with_userinfo_by_hand,
    redact_url,
    userinfo,
    without_userinfo,
)


@pytest.mark.parametrize(
    ("url", "shown", "address"),
    [
        (
            "https://u:pw@cfy.example.com/x?y#z",
            "https://***@cfy.example.com/x?y#z",
            "https://cfy.example.com/x?y#z",
        ),
        ("https://u@cfy.example.com", "https://***@cfy.example.com", "https://cfy.example.com"),
        ("http://[::1]:8080", "http://[::1]:8080", "http://[::1]:8080"),
        ("mailto:u@example.com", "mailto:u@example.com", "mailto:u@example.com"),
        # urlsplit refuses an unclosed IPv6 host: the password is still never shown
        ("http://u:pw@[::1/api", "http://***@[::1/api", "http://[::1/api"),
        # An `@` typed as is in the user or the password: the host is after the last one.
        ("https://a@b:p@ss@cfy/x", "https://***@cfy/x", "https://cfy/x"),
        ("http://a@b:p@ss@[::1/x", "http://***@[::1/x", "http://[::1/x"),
        # `@`, `/`, `?` and `#` percent-encoded, as a URL must carry them.
        ("https://u%40x:p%2Fw%3F%23@cfy/p", "https://***@cfy/p", "https://cfy/p"),
        # An empty password is still a password part.
        ("https://u:@cfy", "https://***@cfy", "https://cfy"),
        # Refused by urlsplit: the authority ends at the first `/`, `?` or `#` after `//`
        # (or at the end), and a later `//` in the path is no authority.
        ("http://u:pw@[::1", "http://***@[::1", "http://[::1"),
        ("http://u:pw@[::1?x=1", "http://***@[::1?x=1", "http://[::1?x=1"),
        ("http://u:pw@[::1#f", "http://***@[::1#f", "http://[::1#f"),
        ("http://u:pw@[::1/a//b", "http://***@[::1/a//b", "http://[::1/a//b"),
        ("http://u:Xpw@[::1/api", "http://***@[::1/api", "http://[::1/api"),
        ("http://u:p@ss@[not-ip]/x", "http://***@[not-ip]/x", "http://[not-ip]/x"),
        ("//u:pw@[::1/x", "//***@[::1/x", "//[::1/x"),
        # Refused by urlsplit, without credentials: left as it is.
        ("http://[::1/api", "http://[::1/api", "http://[::1/api"),
        ("http://[::1", "http://[::1", "http://[::1"),
    ],
)
def test_credentials_are_never_shown(url: str, shown: str, address: str) -> None:
    assert redact_url(url) == shown
    assert without_userinfo(url) == address


def test_userinfo_is_percent_decoded() -> None:
    assert userinfo("https://a%40b:p%3Aw@h") == ("a@b", "p:w")
    assert userinfo("https://h") == (None, None)


def test_userinfo_tells_no_password_from_an_empty_one() -> None:
    """`u@host` logs in with a password from elsewhere (the config, a prompt); `u:@host`
    says the password is empty."""
    assert userinfo("https://u@h") == ("u", None)
    assert userinfo("https://u:@h") == ("u", "")
    assert userinfo("https://a@b:p@ss@h/x") == ("a@b", "p@ss")
    assert userinfo("http://u:pw@[::1/api") == (None, None)  # unreadable: nothing to use


@pytest.mark.parametrize(
    "url",
    [
        "https://u:pw@cfy.example.com/x?y#z",
        "https://a@b:p@ss@cfy/x",
        "https://cfy/x",
        "http:///u:pw@cfy",
        "http://?u:pw@cfy",
        "http://#u:pw@cfy",
        "mailto:u@example.com",
        "u:pw@cfy",
        "",
    ],
)
def test_by_hand_the_authority_is_read_as_urlsplit_reads_it(url: str) -> None:
    """The fallback for URLs urlsplit refuses stands for urlsplit: on the URLs it takes,
    both find the same `user:password@` (none when the authority is empty and the `@`
    is in the path, query or fragment)."""
    for replacement in ("***@", ""):
        assert _with_userinfo_by_hand(url, replacement) == _with_userinfo(url, replacement)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://admin:pa/ss@cfy", "https://***@cfy"),
        ("https://admin:pa/ss@cfy/api", "https://***@cfy/api"),
        ("https://admin:p?ss@cfy", "https://***@cfy"),
        ("https://admin:p#ss@cfy:80", "https://***@cfy:80"),
        # the authority ends at the first of `/`, `?`, `#`; the host is after the last `@`
        ("https://admin:pa/ss@cfy/a@b", "https://***@b"),
        ("https://admin:p?s/s@cfy", "https://***@cfy"),
        # a later `//` in the path is no authority
        ("http://cfy/a//u:p@b", "http://cfy/a//u:p@b"),
        # digits before the `/` read as a port, and still hidden: a password may be digits
        ("https://admin:12/34@cfy", "https://***@cfy"),
        # no `:` in the authority, an IPv6 host, no `@` after it: nothing looks like a password
        ("https://cfy/x?a=b@c", "https://cfy/x?a=b@c"),
        ("http://[::1]:8080/a@b", "http://[::1]:8080/a@b"),
        ("https://cfy:443/api", "https://cfy:443/api"),
    ],
)
def test_a_password_typed_with_a_raw_slash_question_mark_or_hash_is_hidden(
    url: str, shown: str
) -> None:
    """urlsplit ends the authority at a raw `/`, `?` or `#`, so such a password looks like
    a host and a path to it; what is shown hides it all the same. The URL carries no
    credentials to log in with (`userinfo`): only what is shown is at stake."""
    assert redact_url(url) == shown
    assert userinfo(url) == (None, None)


def test_a_password_with_a_raw_at_and_a_raw_slash_is_hidden_whole() -> None:
    """urlsplit reads `admin:p@s/s@cfy` as the user `admin`, the password `p` and the
    host `s`: replacing that `user:password@` alone left `***@s/s@cfy` on screen, the
    rest of the password with it."""
    assert redact_url("https://admin:p@s/s@cfy") == "https://***@cfy"
