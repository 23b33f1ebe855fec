"""Every ledger backend, behind one fixture: the contract tests run once per backend.

A backend is an async factory `open(folder)` that opens (or reopens) the ledger kept in
`folder`, the way a restarted daemon does. A new backend adds one entry to `BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from reconciler.shell.ledger import Ledger
from reconciler.shell.ledger.sqlite import SqliteLedger

Opener = Callable[[Path], Awaitable[Ledger]]


async def _sqlite(folder: Path) -> Ledger:
    return await SqliteLedger.open(folder)


BACKENDS: dict[str, Opener] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def open_ledger(request: pytest.FixtureRequest) -> Opener:
    """Opens the ledger of one backend in a folder; each test closes what it opened."""
    opener: Opener = BACKENDS[request.param]
    return opener
