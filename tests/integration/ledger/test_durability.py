"""What the SQLite ledger keeps when the process dies: intents synced, successes in the WAL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.decide.components import OpKind
from reconciler.decide.model import ComponentKind
from reconciler.shell.ledger.sqlite import SqliteLedger

pytestmark = pytest.mark.anyio

CHILD = """
import asyncio, os, signal, sys
from pathlib import Path
from reconciler.decide.components import OpKind
from reconciler.decide.model import ComponentKind
from reconciler.shell.ledger.sqlite import SqliteLedger

async def main():
    ledger = await SqliteLedger.open(Path(sys.argv[1]))
    for index in range(5):
        key = (ComponentKind.TASK, f"t{index}")
        await ledger.intend("core-a", key, OpKind.CREATE, "run-1")
        if index < 4:
            await ledger.own("core-a", key)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint

asyncio.run(main())
"""


async def test_a_killed_process_loses_no_success_record_and_no_intent(tmp_path: Path) -> None:
    """`own` does not wait for the disk, yet a process killed right after loses none of them."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], check=False, timeout=60)
    assert done.returncode == -9

    ledger = await SqliteLedger.open(tmp_path, create=False)
    records = await ledger.records()
    await ledger.close()
    assert records.owned["core-a"] == {(ComponentKind.TASK, f"t{i}") for i in range(4)}
    assert records.intents["core-a"] == {(ComponentKind.TASK, "t4")}  # the call in flight


async def test_only_success_records_skip_the_sync(tmp_path: Path) -> None:
    """After `own` and `disown` the connection syncs again: an intent always waits for the disk."""
    ledger = await SqliteLedger.open(tmp_path)
    key = (ComponentKind.STREAM, "s")

    def synchronous() -> int:
        return int(ledger._db.execute("PRAGMA synchronous").fetchone()[0])

    loop = asyncio.get_running_loop()
    await ledger.intend("core-a", key, OpKind.CREATE, "run-1")
    await ledger.own("core-a", key)
    after_own = await loop.run_in_executor(ledger._worker, synchronous)
    await ledger.disown("core-a", key)
    after_disown = await loop.run_in_executor(ledger._worker, synchronous)
    await ledger.close()
    assert (after_own, after_disown) == (2, 2)  # 2 is FULL
