"""A seeded SIGKILL loop: `reconciler once` killed in the middle of Deploy Alls, then resumed.

Each iteration moves, adds or removes the two pipelines over two Cores, pushes a Deploy All, and
kills the pass after a random delay (from the seed), then lets a new pass finish the run. After
each: the Cores hold exactly what is declared for them, every request has one record with a
final outcome, and the ledger passes its integrity check. `RECONCILER_CHAOS_SEED` and
`RECONCILER_CHAOS_ITERATIONS` change the seed and the length; the seed is printed and named in
every failure.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
from pathlib import Path

from reconciler.decide import resolve
from reconciler.decide.trust import TokenPolicy
from reconciler.shell import workspace
from reconciler.shell.ledger.sqlite import SqliteLedger
from tests.support.daemon import TOKEN_DIRS
from tests.support.fixtures import CoreFactory
from tests.support.fleet import SCRIPT, Fleet

SEED = int(os.environ.get("RECONCILER_CHAOS_SEED", "20261202"))
ITERATIONS = int(os.environ.get("RECONCILER_CHAOS_ITERATIONS", "20"))
PLACES = ([], ["edge-1"], ["edge-2"], ["edge-1", "edge-2"])
KINDS = ("streams", "connectors", "tasks", "queries")


def declared_on(fleet: Fleet) -> dict[str, set[str]]:
    """Per Core, the names of every component the declared state wants there."""
    state = workspace.declared(fleet.work, TokenPolicy(folders=(TOKEN_DIRS,)))
    wanted: dict[str, set[str]] = {core: set() for core in state.cores}
    for core, pipelines in resolve.desired(state).items():
        wanted[core] = {spec.name for specs in pipelines.values() for spec in specs}
    return wanted


def held(fleet: Fleet, core: str) -> set[str]:
    return {name for kind in KINDS for name in fleet.components(core, kind)}


def integrity(state: Path) -> list[str]:
    async def check() -> list[str]:
        ledger = await SqliteLedger.open(state)
        try:
            return await ledger.integrity()
        finally:
            await ledger.close()

    return asyncio.run(check())


def records_of(state: Path, run_id: str) -> list[str]:
    with sqlite3.connect(state / "ledger.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT state FROM runs WHERE id = ?", (run_id,))]


def killed_pass(fleet: Fleet, delay: float) -> None:
    """`reconciler once` started and SIGKILLed after `delay` seconds (or when it ends first)."""
    command = [SCRIPT, "once", "--repo", str(fleet.origin), "--state-dir", str(fleet.state)]
    process = subprocess.Popen(
        command, env=fleet.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        process.wait(delay)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_sigkill_during_deploys_never_loses_ownership(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """After every kill and resume: exactly the declared state, one final record, a sound ledger."""
    print(f"chaos seed {SEED}, {ITERATIONS} iterations")
    chance = random.Random(SEED)  # noqa: S311 (chaos from a seed, not security)
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.once()
    for iteration in range(ITERATIONS):
        where = f"seed {SEED}, iteration {iteration}"
        for pipeline in ("web", "alerts"):
            fleet.assign(pipeline, chance.choice(PLACES))
        fleet.push(f"chaos {iteration}")
        fleet.deploy_all(f"chaos {iteration}", "--id", f"chaos-{iteration}")
        killed_pass(fleet, chance.uniform(0.3, 2.0))
        fleet.once()

        wanted = declared_on(fleet)
        assert {core: held(fleet, core) for core in wanted} == wanted, where
        assert records_of(fleet.state, f"chaos-{iteration}") == ["done"], where
        assert integrity(fleet.state) == [], where
