"""Options and fixtures shared by the whole test suite."""

from __future__ import annotations

import pytest

pytest_plugins = ("tests.support.fixtures",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite golden files from the current output (review the diff before committing)",
    )


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (`pytest.mark.anyio`) run on asyncio, the daemon's event loop."""
    return "asyncio"
