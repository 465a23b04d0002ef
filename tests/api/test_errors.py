"""Which exception an error answer becomes (`manager_error`): by the manager's
`error_code` when it is one the client knows, else by the HTTP status. Callers tell
a login to renew (Unauthorized) from a role that lacks a right (Forbidden) by class,
so a proxy or an old manager that answers 401/403 without a known code must still
pick the right one."""

from __future__ import annotations

import pytest

from tui.api.errors import (
    BadParameters,
    Forbidden,
    ManagerError,
    NotFound,
    Unauthorized,
    Unavailable,
    manager_error,
)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        pytest.param(401, None, Unauthorized, id="401-no-code"),
        pytest.param(401, "", Unauthorized, id="401-empty-code"),
        pytest.param(401, "some_future_error", Unauthorized, id="401-unknown-code"),
        pytest.param(403, None, Forbidden, id="403-no-code"),
        pytest.param(403, "", Forbidden, id="403-empty-code"),
        pytest.param(403, "some_future_error", Forbidden, id="403-unknown-code"),
        pytest.param(404, None, NotFound, id="404-no-code"),
        pytest.param(500, "", Unavailable, id="500-empty-code"),
        pytest.param(402, None, ManagerError, id="402-no-code"),
        pytest.param(400, "", ManagerError, id="400-empty-code"),
        pytest.param(400, None, ManagerError, id="400-no-code"),
    ],
)
def test_without_a_known_code_the_status_picks_the_class(
    status: int, code: str | None, cls: type[ManagerError]
) -> None:
    error = manager_error(status, code, "refused", "Traceback ...")
    assert type(error) is cls
    assert (error.status_code, error.error_code, error.message) == (status, code, "refused")
    assert error.server_traceback == "Traceback ..."


def test_a_known_code_wins_over_the_status() -> None:
    """The manager's own code is authoritative: a 401 naming a bad parameter is one."""
    error = manager_error(401, "bad_parameters_error", "bad", None)
    assert type(error) is BadParameters
    assert error.server_traceback is None
