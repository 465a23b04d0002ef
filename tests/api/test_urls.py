"""URLs that carry credentials: shown with `***@`, sent to without them."""

from __future__ import annotations

import pytest

from tui.api.urls import redact_url, userinfo, without_userinfo


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
    ],
)
def test_credentials_are_never_shown(url: str, shown: str, address: str) -> None:
    assert redact_url(url) == shown
    assert without_userinfo(url) == address


def test_userinfo_is_percent_decoded() -> None:
    assert userinfo("https://a%40b:p%3Aw@h") == ("a@b", "p:w")
    assert userinfo("https://h") == (None, None)
