"""The hosts of one manager or of a manager cluster: which one is in use, and when a
failed request may be sent to the next one.

A Cloudify cluster is several managers that share one database, so any of them
answers for all. The official cluster client (the `cfy` CLI's `ClusterHTTPClient`)
tries its hosts in turn when one cannot be reached, and keeps using the one that
answered; `ManagerClient` does the same with this class. Unlike the official client,
a request that changes something (start, cancel, resume) goes to the next host only
when it certainly never left: once it may have reached a manager, sending it again
elsewhere could start a workflow twice, so the caller gets the failure and handles it
as an unknown outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

# Requests that change nothing on the manager: any transport failure may go elsewhere.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Hosts:
    """The base URLs of one manager (one URL) or of a cluster (several, in the order
    to try them), and the index of the one in use: the last that answered."""

    def __init__(self, urls: Sequence[str]) -> None:
        if not urls:
            raise ValueError("at least one manager URL is needed")
        self.urls: tuple[str, ...] = tuple(urls)
        self._index = 0

    @property
    def index(self) -> int:
        """Which of `urls` is in use (0-based)."""
        return self._index

    @property
    def current(self) -> str:
        return self.urls[self._index]

    @property
    def is_cluster(self) -> bool:
        return len(self.urls) > 1

    def attempts(self) -> list[int]:
        """The order to try the hosts in for one request: the one in use, then the
        ones after it, wrapping around; each once."""
        count = len(self.urls)
        return [(self._index + step) % count for step in range(count)]

    def answered(self, index: int) -> None:
        """Host `index` gave an answer (any HTTP status): keep using it. With requests
        in flight at once, the last host that answered wins; any of them works."""
        self._index = index


def nothing_sent(error: httpx.HTTPError) -> bool:
    """Whether `error` certainly happened before the request reached a manager: no
    connection (refused, unreachable, TLS handshake failed) or none free in time."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def may_try_next(method: str, error: httpx.HTTPError) -> bool:
    """Whether a request that failed with `error` may be sent to the next host. An
    HTTP answer never gets here: whatever a manager answers is its answer."""
    if nothing_sent(error):
        return True
    if method.upper() not in SAFE_METHODS:
        return False  # it may have reached a manager: the outcome is unknown
    broken = httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
    return isinstance(error, broken)
