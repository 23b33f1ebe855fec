"""A run over the shards (`--shards N`): each shard's part, then one final record.

A Deploy All or a Core Action of a sharded SOURCE is run by every replica on the Cores of the
shards it holds, and by no one else on them:

1. `run_parts`: for each shard this replica holds that has Cores in the run and no recorded
   part yet, run the work on that shard's Cores (the shards concurrently, each as a run of its
   own: `parallelism` and `max_failed_cores` of the rollout policy count per shard), then
   record the shard's part: its Cores' outcomes, fenced by that shard's lease. A part cut short
   by a shutdown is not recorded (the run resumes); a shard whose lease is lost half way stops
   there, records nothing, and its next holder runs the part again, re-planned against its own
   readback, like any resumed run: what was done is not done twice.
2. `merged`: once every shard with Cores in the run has its part, the run with all of their
   outcomes, for the report holder to conclude with one final record (None before).

While a replica runs parts it keeps every shard it holds, even beyond its quota: a rebalance
waits for the end of the run (`pgshards`). Parts are looked up in the ledger each pass, so a
replica that holds no shard of a run, or whose parts are done, just passes it by.
I/O module (through the ledger and the work it is given).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace

from reconciler.decide.outcomes import CoreOutcome, OutcomeReason, Run
from reconciler.decide.shards import split
from reconciler.errors import LeaseLost
from reconciler.shell.ledger.pgshards import ShardLeases

log = logging.getLogger(__name__)
Work = Callable[[Sequence[str]], Awaitable[tuple[CoreOutcome, ...]]]


async def run_parts(
    leases: ShardLeases, run: Run, cores: Iterable[str], work: Work
) -> tuple[CoreOutcome, ...]:
    """This replica's parts of `run` done (see the module docstring); their outcomes."""
    done = await leases.parts(run.id)
    mine = split((core for core in cores if leases.holds(core)), leases.shards)
    todo = {shard: names for shard, names in mine.items() if shard not in done}

    async def part(shard: int, names: Sequence[str]) -> tuple[CoreOutcome, ...]:
        try:
            outcomes = await work(names)
            if not any(o.reason is OutcomeReason.SHUTDOWN for o in outcomes):
                await leases.record_part(shard, replace(run, cores=outcomes))
        except LeaseLost as error:
            log.warning("request %s: the part of shard %d stopped: %s", run.id, shard, error)
            return ()
        log.info("request %s: the part of shard %d is done (%d Core(s))", run.id, shard,
                 len(outcomes))  # fmt: skip
        return outcomes

    leases.working += 1
    try:
        found = await asyncio.gather(*(part(shard, names) for shard, names in todo.items()))
    finally:
        leases.working -= 1
    return tuple(sorted((o for outcomes in found for o in outcomes), key=lambda o: o.core))


async def merged(leases: ShardLeases, run: Run, cores: Iterable[str]) -> Run | None:
    """`run` with every shard's outcomes once each shard with Cores in it recorded its part."""
    done = await leases.parts(run.id)
    needed = split(cores, leases.shards)
    if any(shard not in done for shard in needed):
        return None
    outcomes = sorted((o for s in needed for o in done[s].cores), key=lambda o: o.core)
    # a plan's digest covers every Core: only a pinned run, or a run of one shard, has one
    only = done[next(iter(needed))].plan_digest if len(needed) == 1 else None
    digest = run.plan_digest or only
    return replace(run, cores=tuple(outcomes), plan_digest=digest)
