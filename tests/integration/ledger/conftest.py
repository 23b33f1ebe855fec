"""Every ledger backend, behind one fixture: the contract tests run once per backend.

A backend is an async factory `open(folder)` that opens (or reopens) the ledger kept in
`folder`, the way a restarted daemon does. A new backend adds one entry to `BACKENDS`. The
PostgreSQL backend keeps each folder's ledger in a database of its own on the session's real
server (`postgres_server`), made empty the first time the folder is opened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from reconciler.shell.ledger import Ledger
from reconciler.shell.ledger.postgres import PostgresLedger
from reconciler.shell.ledger.sqlite import SqliteLedger
from tests.support.postgres import PostgresServer

Opener = Callable[[Path], Awaitable[Ledger]]
BACKENDS = ("postgresql", "sqlite")


def postgres_opener(server: PostgresServer) -> Opener:
    urls: dict[Path, str] = {}

    async def open_ledger(folder: Path) -> Ledger:
        if folder not in urls:
            urls[folder] = server.database(f"ledger_{folder.parent.name}_{folder.name}")
        return await PostgresLedger.open(urls[folder])

    return open_ledger


async def _sqlite(folder: Path) -> Ledger:
    return await SqliteLedger.open(folder)


@pytest.fixture(params=BACKENDS)
def open_ledger(request: pytest.FixtureRequest) -> Opener:
    """Opens the ledger of one backend in a folder; each test closes what it opened."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return postgres_opener(server)
    return _sqlite
