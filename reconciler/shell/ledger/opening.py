"""The ledger a process was told to use, opened: PostgreSQL with `--ledger`, else SQLite.

`open_ledger` is how the daemon, `once`, the commands that read its ledger and `reconciler
ledger export|import` all open one, so a backend is chosen in one place. `Place` is which one a
command was told to read (`status`, `plan`, `diff` and `action` read the daemon's ledger only
when `--ledger` or `--state-dir` names it). psycopg is loaded only for a PostgreSQL ledger.
I/O module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ConfigurationError
from reconciler.shell.ledger import Ledger
from reconciler.shell.ledger.sqlite import SqliteLedger


@dataclass(frozen=True, slots=True)
class Place:
    """Which ledger: the PostgreSQL database at `url`, else the SQLite one in `state_dir`."""

    url: str | None
    state_dir: Path | None

    async def open(self, create: bool = True) -> Ledger:
        return await open_ledger(self.url, self.state_dir, create)

    def __str__(self) -> str:
        return describe(self.url, self.state_dir)


async def open_ledger(url: str | None, state_dir: Path | None, create: bool = True) -> Ledger:
    """The PostgreSQL ledger at `url` when one is given, else the SQLite one in `state_dir`
    (`create=False`: one that must exist already)."""
    if url is not None:
        from reconciler.shell.ledger.postgres import PostgresLedger  # noqa: PLC0415  (psycopg)

        return await PostgresLedger.open(url)
    if state_dir is None:
        raise ConfigurationError("give --state-dir or --ledger: which ledger to use")
    return await SqliteLedger.open(state_dir, create=create)


def describe(url: str | None, state_dir: Path | None) -> str:
    """Which ledger, for messages (a PostgreSQL database by host, port and name only)."""
    if url is not None:
        from reconciler.shell.ledger.postgres import PostgresLedger  # noqa: PLC0415  (psycopg)

        return f"the ledger database {PostgresLedger.where_of(url)}"
    return f"the ledger in {state_dir}"
