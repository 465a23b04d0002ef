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
