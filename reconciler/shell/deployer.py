"""The deployer: runs a plan on the Cores (SPEC §4) and turns every failure into an outcome.

Cores are worked on in parallel, at most `parallelism` at a time, each from its own plan as soon
as that plan is ready (a Core's plan comes from that Core's own readback, so a slow Core holds up
only itself). On one Core the operations run in plan order; the intents of all of them are
recorded, in one write, before the first call goes out, and settled in one write when the
Core's work ends (so a run killed half way, or an answer lost, leaves the ledger knowing what it
may have done, and an operation costs no ledger write of its own: two per operation made the
writes about 1.8 times a bare client's), a component to delete is stopped first, and
the first permanent failure (the client has already retried transient ones) stops the work on
that Core: its remaining operations are recorded as skipped. Other Cores go on, unless more
than `max_failed_cores` have failed: then Cores not yet started are skipped. Deploying never
starts anything: new components are created stopped by the Core, and an update keeps a running
component running.

`stop` is checked between operations: a shutdown lets the current Core call finish, records it,
and leaves the rest to the resumed run. I/O module (Cores, ledger).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler.decide.components import Key, OpKind
from reconciler.decide.fingerprint import fingerprint
from reconciler.decide.model import ActionVerb, ComponentKind, Rollout
from reconciler.decide.observed import Runtime
from reconciler.decide.outcomes import CoreOutcome, Outcome, OutcomeReason, StepResult
from reconciler.decide.plan import CorePlan, Operation
from reconciler.decide.records import (
    CellError,
    Deployment,
    Records,
    Stage,
    by_core,
    component_metadata,
)
from reconciler.errors import CoreCallError
from reconciler.shell.clock import Clock
from reconciler.shell.core.client import CoreClient
from reconciler.shell.ledger import Call, Ledger

log = logging.getLogger(__name__)
_RUNS = (Runtime.RUNNING, Runtime.STARTING, Runtime.FAILED)


@dataclass(frozen=True, slots=True)
class Job:
    """One Deploy All run: which request, at which revision, under which rollout policy."""

    run_id: str
    revision: str
    rollout: Rollout
    clock: Clock
    stop: asyncio.Event
    progress: Callable[[CoreOutcome, int, int], None] | None = None
    """Hears each Core's outcome as it ends, with how many Cores ended and how many there are."""


@dataclass(frozen=True, slots=True)
class CellFailure:
    """Why a Core's deployment failed, as its cells' errors record it."""

    reason: OutcomeReason
    message: str


class _Rollout:
    """Counts failed Cores and says when the rollout must stop."""

    def __init__(self, policy: Rollout) -> None:
        self.limit = policy.max_failed_cores
        self.failed = 0

    @property
    def halted(self) -> bool:
        return self.limit is not None and self.failed > self.limit


Planned = Callable[[str], Awaitable[CorePlan]]
"""Answers one Core's plan, typically after reading that Core back (and that Core alone)."""


async def deploy(
    cores: Sequence[str],
    planned: Planned,
    clients: Callable[[str], CoreClient],
    ledger: Ledger,
    job: Job,
) -> tuple[CoreOutcome, ...]:
    """Plan and apply every Core on its own; one outcome per Core, in the order of `cores`.

    A Core's work starts as soon as its own plan is ready: a slow Core's readback holds up
    only that Core. The ledger's records are read once, here: what was deployed on a Core
    changes during the run only by that Core's own work, and reading the whole ledger again
    for each Core made a Deploy All grow with the square of the fleet; they are split by Core
    once, for the same reason (`records.by_core`).
    """
    known = await asyncio.to_thread(by_core, await ledger.records())
    slots = asyncio.Semaphore(job.rollout.parallelism)
    rollout = _Rollout(job.rollout)
    ended = [0]

    async def one(core: str) -> CoreOutcome:
        async with slots:
            if rollout.halted or job.stop.is_set():
                outcome = _skipped(core, rollout, job)
            else:
                plan = await planned(core)
                mine = known.get(core, Records())
                outcome = await deploy_core(plan, clients(core), ledger, job, mine)
                rollout.failed += outcome.outcome is Outcome.FAILED
        ended[0] += 1
        if job.progress is not None:
            job.progress(outcome, ended[0], len(cores))
        return outcome

    return tuple(await asyncio.gather(*(one(core) for core in cores)))


def _skipped(core: str, rollout: _Rollout, job: Job) -> CoreOutcome:
    if job.stop.is_set():
        reason, message = OutcomeReason.SHUTDOWN, "the daemon stopped"
    else:
        reason = OutcomeReason.ROLLOUT_STOPPED
        message = f"rollout stopped: more than {rollout.limit} Core(s) failed"
    return CoreOutcome(core, Outcome.SKIPPED, reason=reason, message=message)


async def deploy_core(
    plan: CorePlan, client: CoreClient, ledger: Ledger, job: Job, known: Records
) -> CoreOutcome:
    """Apply one Core's plan in order; record each step, then the Core's deployments.

    `known` is the ledger's records as the run began (what was deployed on this Core before;
    the whole ledger's, or this Core's own).
    """
    started = job.clock()
    if plan.blocked is not None:
        message = f"core {plan.core} could not be read back, so nothing was changed"
        blocked = OutcomeReason.of(plan.blocked)
        await _record_failure(plan, ledger, job, known, CellFailure(blocked, message))
        return _outcome(plan, Outcome.FAILED, (), started, job, reason=blocked, message=message)
    calls = [(op.key, op.op) for op in plan.operations]
    if calls:
        await ledger.intend(plan.core, calls, job.run_id)
    done, error = await _call_all(plan, client, ledger, job)
    sent = done + (error is not None)  # a failed call keeps its intent: its answer may be lost
    if calls:
        await ledger.settle(plan.core, calls[:done], _keys(calls[sent:]), job.run_id)
    steps = [_step(op, Outcome.DONE) for op in plan.operations[:done]]
    if error is not None:
        failed, reason = plan.operations[done], OutcomeReason.of(error.reason)
        steps.append(_step(failed, Outcome.FAILED, reason, str(error)))
        steps += _skip_all(plan.operations[sent:], OutcomeReason.EARLIER_FAILURE)
        await _record_failure(plan, ledger, job, known, CellFailure(reason, str(error)))
        what = f"{failed.op.value} {failed.kind.value}/{failed.name}"
        message = f"{what} failed after {done} done: {error}"
        return _outcome(plan, Outcome.FAILED, steps, started, job, reason=reason, message=message)
    if done < len(calls):
        steps += _skip_all(plan.operations[done:], OutcomeReason.SHUTDOWN)
        message = "the daemon stopped; the run resumes on restart"
        reason = OutcomeReason.SHUTDOWN
        return _outcome(plan, Outcome.SKIPPED, steps, started, job, reason=reason, message=message)
    await _record_success(plan, ledger, job, known)
    return _outcome(plan, Outcome.DONE, steps, started, job)


async def _call_all(
    plan: CorePlan, client: CoreClient, ledger: Ledger, job: Job
) -> tuple[int, CoreCallError | None]:
    """The operations in order, until the first that fails or a stop: how many the Core
    confirmed, and the failure.

    Anything else that goes wrong (the lease lost, a bug) is raised, after settling what was
    done if the ledger still takes it; the intents left behind are what a crash would leave,
    and the next pass reads their components back.
    """
    for index, op in enumerate(plan.operations):
        if job.stop.is_set():
            return index, None
        try:
            await apply(op, client, job)
        except CoreCallError as error:
            log.warning("core %s: %s %s/%s failed: %s", plan.core, op.op, op.kind, op.name, error)
            return index, error
        except Exception:
            with contextlib.suppress(Exception):
                calls = [(confirmed.key, confirmed.op) for confirmed in plan.operations[:index]]
                await ledger.settle(plan.core, calls, (), job.run_id)
            raise
    return len(plan.operations), None


def _outcome(
    plan: CorePlan,
    outcome: Outcome,
    steps: Sequence[StepResult],
    started: datetime,
    job: Job,
    *,
    reason: OutcomeReason | None = None,
    message: str | None = None,
) -> CoreOutcome:
    return CoreOutcome(plan.core, outcome, tuple(steps), reason, message, started, job.clock())


async def apply(op: Operation, client: CoreClient, job: Job) -> None:
    """One operation on the Core (its intent is recorded already)."""
    if op.op is OpKind.DELETE:
        await _stop_if_running(op, client)
        await client.delete(op.kind, op.name)
        return
    if op.body is None:  # a plan never makes one: a create or update always carries its spec
        raise ValueError(f"{op.op} {op.kind}/{op.name} has no spec to put")
    metadata = component_metadata(op.pipelines, job.revision, job.clock(), op.body)
    await client.put(op.kind, op.name, {**op.body, "metadata": metadata})


async def _stop_if_running(op: Operation, client: CoreClient) -> None:
    if op.kind not in (ComponentKind.CONNECTOR, ComponentKind.TASK):
        return
    held = await client.get(op.kind, op.name)
    if held is not None and held.state in _RUNS:
        await client.act(op.kind, op.name, ActionVerb.STOP)


def _step(
    op: Operation,
    outcome: Outcome,
    reason: OutcomeReason | None = None,
    message: str | None = None,
) -> StepResult:
    return StepResult(op.op, op.kind, op.name, outcome, reason, message)


def _keys(calls: Sequence[Call]) -> list[Key]:
    return [key for key, _ in calls]


def _skip_all(ops: Sequence[Operation], reason: OutcomeReason) -> list[StepResult]:
    return [_step(op, Outcome.SKIPPED, reason) for op in ops]


async def _record_success(plan: CorePlan, ledger: Ledger, job: Job, known: Records) -> None:
    now = job.clock()
    deployments = [
        Deployment(plan.core, pipeline, specs, job.revision, now, job.run_id)
        for pipeline, specs in sorted(plan.desired.items())
    ]
    gone = known.deployed_pipelines(plan.core) - set(plan.desired)
    await ledger.record_core(plan.core, deployments, sorted(gone))


async def _record_failure(
    plan: CorePlan, ledger: Ledger, job: Job, known: Records, failure: CellFailure
) -> None:
    for pipeline in sorted(_affected(plan, known)):
        reason, message = failure.reason, failure.message
        error = CellError(plan.core, pipeline, Stage.DEPLOY, reason, message, job.clock())
        await ledger.set_error(error)


def _affected(plan: CorePlan, records: Records) -> set[str]:
    """The pipelines this run was changing on a Core: named by an operation, changed, or removed."""
    named = {pipeline for op in plan.operations for pipeline in op.pipelines}
    changed = {
        pipeline
        for pipeline, specs in plan.desired.items()
        if (found := records.deployments.get((plan.core, pipeline))) is None
        or found.fingerprint != fingerprint(specs)
    }
    return named | changed | (records.deployed_pipelines(plan.core) - set(plan.desired))


def logged(run_id: str) -> Callable[[CoreOutcome, int, int], None]:
    """A `Job.progress` that logs a line per Core as it finishes, so a long rollout shows moving."""

    def report(outcome: CoreOutcome, done: int, total: int) -> None:
        detail = f": {outcome.message}" if outcome.message else ""
        log.info(
            "deploy %s: core %s %s%s (%d/%d Core(s) finished)",
            run_id,
            outcome.core,
            outcome.outcome.value,
            detail,
            done,
            total,
        )

    return report
