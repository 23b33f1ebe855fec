"""Core Actions (SPEC §5): start, stop or restart one pipeline on its Cores, the calls half.

The rules (refusal, order, what stop leaves alone) are `reconciler.decide.actionplan`; this
module makes the calls of each Core's plan in order, stops a Core's sequence at its first
failure, and records the outcome. After starting, it waits a short while (`SETTLE_SECONDS`) for
each started component to leave `starting`, so a component that fails at once is reported as
failed; the wait ends early when the daemon is stopping.

Cores are acted on concurrently. I/O module (Cores, ledger).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reconciler.decide.actionplan import ActionStep, CoreActionPlan, plan_action
from reconciler.decide.model import ActionVerb
from reconciler.decide.observed import Observation, Runtime
from reconciler.decide.outcomes import CoreOutcome, Outcome, OutcomeReason, StepResult
from reconciler.decide.records import CellError, Records, Stage
from reconciler.errors import CoreCallError
from reconciler.shell.clock import Clock
from reconciler.shell.core.client import CoreClient
from reconciler.shell.ledger import Ledger

SETTLE_SECONDS = 10.0
SETTLE_POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class ActionJob:
    """One Core Action: what to do, to which pipeline, judged against which records and readback."""

    verb: ActionVerb
    pipeline: str
    records: Records
    observations: dict[str, Observation]
    clock: Clock
    ledger: Ledger | None = None
    """Where cell errors are recorded (none for a command-line action without a state dir)."""
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the daemon is stopping: the settle wait ends at once."""


async def act(
    job: ActionJob, cores: Sequence[str], clients: Callable[[str], CoreClient]
) -> tuple[CoreOutcome, ...]:
    """Act on every named Core at once; one outcome per Core, in the order given."""
    return tuple(await asyncio.gather(*(act_on_core(job, core, clients(core)) for core in cores)))


async def act_on_core(job: ActionJob, core: str, client: CoreClient) -> CoreOutcome:
    """Carry out one Core's plan and record how it ended."""
    started = job.clock()
    plan = plan_action(job.verb, job.pipeline, core, job.records, job.observations.get(core))
    if plan.refused is not None:
        reason, message = plan.refused.reason, plan.refused.message
        await _record(job, core, reason, message)
        return CoreOutcome(core, Outcome.REFUSED, (), reason, message, started, job.clock())
    steps = await _run_steps(job, plan, client)
    failed = [s for s in steps if s.outcome is Outcome.FAILED]
    if failed:
        first = failed[0]
        message = f"{first.step} {first.kind}/{first.name} failed: {first.message}"
        await _record(job, core, first.reason, message)
        return CoreOutcome(core, Outcome.FAILED, steps, first.reason, message, started, job.clock())
    await _record(job, core, None, None)
    return CoreOutcome(core, Outcome.DONE, steps, None, None, started, job.clock())


async def _run_steps(
    job: ActionJob, plan: CoreActionPlan, client: CoreClient
) -> tuple[StepResult, ...]:
    steps: list[StepResult] = []
    for step in plan.steps:
        steps.append(await _call(step, client))
        if steps[-1].outcome is Outcome.FAILED:
            return tuple(steps)
    if job.verb is not ActionVerb.STOP:
        steps = await _settle(steps, client, job.stop)
    return tuple(steps)


async def _call(step: ActionStep, client: CoreClient) -> StepResult:
    spec = step.spec
    if step.skip is OutcomeReason.SHARED:
        message = "another pipeline running on this Core uses it"
        return StepResult(step.verb, spec.kind, spec.name, Outcome.SKIPPED, step.skip, message)
    try:
        await client.act(spec.kind, spec.name, step.verb)
    except CoreCallError as error:
        reason = OutcomeReason.of(error.reason)
        return StepResult(step.verb, spec.kind, spec.name, Outcome.FAILED, reason, str(error))
    return StepResult(step.verb, spec.kind, spec.name, Outcome.DONE)


async def _settle(
    steps: list[StepResult], client: CoreClient, stop: asyncio.Event
) -> list[StepResult]:
    """Wait (bounded) for started components to leave `starting`; report the ones that failed."""
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    settled = []
    for step in steps:
        if step.step is not ActionVerb.START or step.outcome is not Outcome.DONE:
            settled.append(step)
            continue
        settled.append(await _wait_started(step, client, deadline, stop))
    return settled


async def _wait_started(
    step: StepResult, client: CoreClient, deadline: float, stop: asyncio.Event
) -> StepResult:
    loop = asyncio.get_running_loop()
    while True:
        try:
            held = await client.get(step.kind, step.name)
        except CoreCallError as error:
            reason = OutcomeReason.of(error.reason)
            return StepResult(step.step, step.kind, step.name, Outcome.FAILED, reason, str(error))
        state = held.state if held is not None else None
        if state is Runtime.FAILED:
            error_text = held.error if held is not None and held.error else "failed on start"
            reason = OutcomeReason.START_FAILED
            return StepResult(step.step, step.kind, step.name, Outcome.FAILED, reason, error_text)
        if state is not Runtime.STARTING or loop.time() >= deadline or stop.is_set():
            return step
        await asyncio.sleep(SETTLE_POLL_SECONDS)


async def _record(
    job: ActionJob, core: str, reason: OutcomeReason | None, message: str | None
) -> None:
    """Success clears a cell's start error; a failed start or restart sets it."""
    if job.ledger is None:
        return
    if reason is None or message is None:
        await job.ledger.clear_error(core, job.pipeline, Stage.START)
    elif job.verb is not ActionVerb.STOP:
        await job.ledger.set_error(
            CellError(core, job.pipeline, Stage.START, reason, message, job.clock())
        )
