"""The state directory is 0700 and the ledger's files and the lock 0600, new or inherited."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reconciler.shell.ledger.lease import LOCK_FILE, FileLease
from reconciler.shell.ledger.sqlite import FILE_NAME, SqliteLedger

pytestmark = pytest.mark.anyio


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def ledger_files(state: Path) -> list[Path]:
    return sorted(state.glob(f"{FILE_NAME}*"))


async def test_a_new_state_directory_and_its_files_are_private(tmp_path: Path) -> None:
    """Created by the lease and the ledger: the folder 0700; ledger, journals and lock 0600."""
    state = tmp_path / "new" / "state"
    lease = await FileLease.acquire(state)
    ledger = await SqliteLedger.open(state)
    await ledger.set_last_processed("abc")

    assert mode(state) == 0o700
    assert [p.name for p in ledger_files(state)] == [
        FILE_NAME,
        f"{FILE_NAME}-shm",
        f"{FILE_NAME}-wal",
    ]
    assert {p.name: mode(p) for p in [*ledger_files(state), state / LOCK_FILE]} == {
        p.name: 0o600 for p in [*ledger_files(state), state / LOCK_FILE]
    }
    await ledger.close()
    await lease.release()


async def test_an_open_state_directory_is_made_private_again(tmp_path: Path) -> None:
    """A state directory left readable (an older version, a loose umask) is corrected on open."""
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    (state / LOCK_FILE).write_text("")
    # a connection left open keeps the journal files, as a crashed process leaves them
    leftover = sqlite3.connect(state / FILE_NAME, isolation_level=None)
    leftover.execute("PRAGMA journal_mode=WAL")
    leftover.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    leftover.execute("INSERT INTO meta VALUES ('last_processed_commit', 'abc')")
    for path in [state, *ledger_files(state), state / LOCK_FILE]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert len(ledger_files(state)) == 3

    lease = await FileLease.acquire(state)
    ledger = await SqliteLedger.open(state)

    assert mode(state) == 0o700
    assert {p.name: mode(p) for p in [*ledger_files(state), state / LOCK_FILE]} == {
        p.name: 0o600 for p in [*ledger_files(state), state / LOCK_FILE]
    }
    assert await ledger.last_processed() == "abc"
    await ledger.close()
    await lease.release()
    leftover.close()


async def test_the_lock_still_names_its_holder(tmp_path: Path) -> None:
    """The private lock file keeps holding the pid that a refused second daemon reports."""
    lease = await FileLease.acquire(tmp_path / "state")
    assert (tmp_path / "state" / LOCK_FILE).read_text().strip().isdigit()
    await lease.release()
