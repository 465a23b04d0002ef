"""Fixtures of the manager tests that drive the real `cfy` CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cfy_cli import CliInstallError, ensure_cfy_cli


@pytest.fixture(scope="session")
def cfy_executable() -> Path:
    """The real CLI (built once, then cached); a failed install fails the tests with
    pip's output."""
    try:
        return ensure_cfy_cli()
    except CliInstallError as exc:
        error = str(exc)
    pytest.fail(f"could not install the cfy CLI:\n{error}", pytrace=False)
