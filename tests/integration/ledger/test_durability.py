"""What the SQLite ledger keeps when the process dies: intents synced, settlements in the WAL."""

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
    for core in ("core-a", "core-b"):
        calls = [((ComponentKind.TASK, f"t{index}"), OpKind.CREATE) for index in range(5)]
        await ledger.intend(core, calls, "run-1")
        if core == "core-a":
            await ledger.settle(core, calls[:4], [], "run-1")
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint

asyncio.run(main())
"""


async def test_a_killed_process_loses_no_settlement_and_no_intent(tmp_path: Path) -> None:
    """`settle` does not wait for the disk, yet a process killed right after loses none of it."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], check=False, timeout=60)
    assert done.returncode == -9

    ledger = await SqliteLedger.open(tmp_path, create=False)
    records = await ledger.records()
    await ledger.close()
    tasks = {(ComponentKind.TASK, f"t{i}") for i in range(5)}
    assert records.owned == {"core-a": tasks - {(ComponentKind.TASK, "t4")}}
    assert records.intents == {"core-a": {(ComponentKind.TASK, "t4")}, "core-b": tasks}


async def test_only_settlements_skip_the_sync(tmp_path: Path) -> None:
    """After `settle` the connection syncs again: an intent always waits for the disk."""
    ledger = await SqliteLedger.open(tmp_path)
    calls = [((ComponentKind.STREAM, "s"), OpKind.CREATE)]

    def synchronous() -> int:
        return int(ledger._db.execute("PRAGMA synchronous").fetchone()[0])

    loop = asyncio.get_running_loop()
    await ledger.intend("core-a", calls, "run-1")
    during_intent = await loop.run_in_executor(ledger._worker, synchronous)
    await ledger.settle("core-a", calls, [], "run-1")
    after_settle = await loop.run_in_executor(ledger._worker, synchronous)
    await ledger.close()
    assert (during_intent, after_settle) == (2, 2)  # 2 is FULL
