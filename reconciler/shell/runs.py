"""Step 5 of a pass: running the recorded requests, each at its own commit.

A Deploy All plans each Core on its own fresh readback (or from a recent one that leaves nothing
to do), runs the deployer on the Cores, and concludes the run; a Core Action runs on its target
Cores. With `--shards N` each replica runs its shards' part (`shardruns`) and the replica holding
the report lease concludes the run once every part is in. A run ends with one final record
(`end`, `conclude`). The functions take the `Reconciler` whose pass runs them: what it holds
(ledger, pool, leases, observations) is theirs to use. I/O module (through the shell parts it
drives).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler.decide import resolve
from reconciler.decide.model import DeclaredState
from reconciler.decide.outcomes import (
    CoreOutcome,
    Outcome,
    OutcomeReason,
    RequestState,
    Run,
    RunKind,
    finished,
)
from reconciler.decide.plan import CorePlan, Plan, plan, plan_core
from reconciler.decide.records import Records, adopted, by_core
from reconciler.decide.runview import ending
from reconciler.decide.trust import CoreIdentity
from reconciler.shell import actions, deployer, intake, rollback, shardruns

if TYPE_CHECKING:
    from reconciler.shell.reconcile import Reconciler

log = logging.getLogger(__name__)


async def run_unfinished(r: Reconciler) -> tuple[Run, ...]:
    """Every unfinished request of the ledger, in order, until the daemon stops."""
    done = []
    for run in await r.ledger.unfinished():
        if r.stop.is_set():
            break
        done.append(await run_one(r, run))
    return tuple(done)


async def run_one(r: Reconciler, run: Run) -> Run:
    """A recorded request, run at its own commit; one whose state cannot be read is refused."""
    if not await asyncio.to_thread(r.source.has_commit, run.commit):
        note = f"commit {run.commit[:12]} is not in the source any more; nothing was done"
        return await end(r, run, RequestState.REFUSED, note)
    run, refusal = await rollback.resolved(r.source, run)
    if refusal is not None:
        return await end(r, run, RequestState.REFUSED, refusal)
    at = run.revision or run.commit
    state = await r.state_at(at)
    if not isinstance(state, DeclaredState):
        note = f"the declared state at {at[:12]} cannot be read ({state})"
        return await end(r, run, RequestState.REFUSED, note)
    if run.kind is RunKind.DEPLOY:
        return await deploy(r, run, state)
    return await act(r, run, state)


async def deploy(r: Reconciler, run: Run, state: DeclaredState) -> Run:
    """A Deploy All at the request's commit, each Core planned on its own fresh readback.

    A pinned request (`expect_plan`) first reads back and plans every Core, since its digest
    covers them all, and deploys nothing when the digest differs.
    """
    pinned = run.expect_plan is not None and run.state is not RequestState.RUNNING
    if pinned and r.shards is not None and not r.active():  # the report holder's check
        return run
    run = replace(run, state=RequestState.RUNNING, started_at=run.started_at or r.clock())
    await forget_undeclared(r, state)
    plans: dict[str, CorePlan] = {}
    if pinned:
        observations = await r.readback(state.cores.values(), approved=True)
        records = adopted(await r.ledger.records(), observations)
        found = plan(state, records, observations, run.revision or run.commit)
        if run.expect_plan != found.digest:
            note = (
                f"the plan is {found.digest} but the marker expects {run.expect_plan}; "
                "nothing was deployed"
            )
            refused = replace(run, plan_digest=found.digest)
            return await end(r, refused, RequestState.REFUSED, note)
        plans = {core.core: core for core in found.cores}
        if r.shards is not None:  # no replica plans every Core again: keep this digest
            run = replace(run, plan_digest=found.digest)
    await store(r, run)
    job = deployer.Job(
        run.id,
        run.revision or run.commit,
        state.settings.rollout,
        r.clock,
        r.stop,
        deployer.logged(run.id),
    )
    planned = await planner(r, state, run.revision or run.commit, plans)

    async def work(cores: Sequence[str]) -> tuple[CoreOutcome, ...]:
        return await deployer.deploy(cores, planned, r.client_for(state), r.ledger, job)

    if r.shards is not None:
        return await parts(r, run, state, state.cores, work)
    outcomes = await work(sorted(state.cores))
    await intake.trust(r.ledger, state)
    digest = Plan(run.commit, tuple(plans[core] for core in sorted(plans))).digest
    return await conclude(r, replace(run, cores=outcomes, plan_digest=run.plan_digest or digest))


async def planner(
    r: Reconciler, state: DeclaredState, revision: str, plans: dict[str, CorePlan]
) -> deployer.Planned:
    """One Core's plan: the one made already (a pinned run), else from its own readback;
    every plan made is kept in `plans`.

    A Core whose last readback is recent (`recent`), of the Core as trusted now (same url,
    token and TLS as this revision declares), and leaves nothing to do is planned from that
    readback: it needs no call. Any Core with something to do, or not seen lately, is read
    back first, so that no write is ever planned on an old readback."""
    resolved = await asyncio.to_thread(r.memory.resolution, state)
    desired = await asyncio.to_thread(resolve.desired, state, resolved)
    own = await asyncio.to_thread(by_core, await r.ledger.records())
    recent, trust = r.recent(set()), await r.ledger.trusted_cores()

    def from_recent(name: str) -> CorePlan | None:
        seen = r.observations.get(name)
        core = state.cores[name]
        if seen is None or not recent(name) or trust.get(name) != CoreIdentity.of(core):
            return None
        found = plan_core(
            name, desired[name], adopted(own.get(name, Records()), {name: seen}), seen
        )
        return found if not found.operations and found.blocked is None else None

    async def planned(name: str) -> CorePlan:
        if name not in plans and (found := from_recent(name)) is not None:
            plans[name] = found
        if name not in plans:
            seen = (await r.readback([state.cores[name]], approved=True))[name]
            mine = adopted(own.get(name, Records()), {name: seen})
            plans[name] = plan_core(name, desired[name], mine, seen)
        return plans[name]

    return planned


async def act(r: Reconciler, run: Run, state: DeclaredState) -> Run:
    """A Core Action from a marker, on its target Cores."""
    verb, pipeline = run.action, run.pipeline
    if verb is None or pipeline is None:
        return await end(r, run, RequestState.REFUSED, "the request names no action")
    run = replace(run, state=RequestState.RUNNING, started_at=run.started_at or r.clock())
    await store(r, run)
    targets = [core for core in run.target_cores if core in state.cores]
    observations = await r.readback(state.cores[core] for core in targets)
    records = adopted(await r.ledger.records(), observations)
    job = actions.ActionJob(verb, pipeline, records, observations, r.clock, r.ledger, r.stop)

    async def work(cores: Sequence[str]) -> tuple[CoreOutcome, ...]:
        return await actions.act(job, cores, r.client_for(state))

    if r.shards is not None:
        return await parts(r, run, None, targets, work)
    return await conclude(r, replace(run, cores=await work(targets)))


async def parts(
    r: Reconciler,
    run: Run,
    deployed: DeclaredState | None,
    cores: Iterable[str],
    work: shardruns.Work,
) -> Run:
    """Sharded: this replica's parts of a run; the report holder concludes it once every
    shard did its part (`shardruns`), trusting the `deployed` state's Cores then."""
    assert r.shards is not None  # only called when sharded
    cores = sorted(cores)
    mine = await shardruns.run_parts(r.shards, run, cores, work)
    whole = await shardruns.merged(r.shards, run, cores) if r.active() else None
    if whole is None:
        return replace(run, cores=mine)
    if deployed is not None:
        await intake.trust(r.ledger, deployed)
    return await conclude(r, whole)


async def store(r: Reconciler, run: Run) -> None:
    """The run's record updated: by the one lease, or when sharded by the report holder."""
    if r.shards is None or r.active():
        await r.ledger.update(run)


async def conclude(r: Reconciler, run: Run) -> Run:
    """Record how a run ended; one a shutdown cut short stays running, to be resumed."""
    if any(core.reason is OutcomeReason.SHUTDOWN for core in run.cores):
        await store(r, run)
        return run
    ok = all(core.outcome is Outcome.DONE for core in run.cores)
    return await end(r, run, RequestState.DONE if ok else RequestState.FAILED)


async def end(r: Reconciler, run: Run, state: RequestState, note: str | None = None) -> Run:
    if r.shards is not None and not r.active():
        return run  # the report holder records how it ended
    done = finished(run, state, r.clock(), note)
    await r.ledger.update(done)
    log.info("request %s: %s", done.id, ending(done))
    return done


async def forget_undeclared(r: Reconciler, state: DeclaredState) -> None:
    records = await r.ledger.records()
    known = set(records.owned) | {core for core, _pipeline in records.deployments}
    for core in sorted(core for core in known - set(state.cores) if r.holds(core)):
        log.warning(
            "core %s is no longer declared: its records are dropped, the Core is untouched",
            core,
        )
        await r.ledger.forget_core(core)
