"""Core Actions (SPEC §5): start, stop or restart one pipeline on its Cores.

Start uses what was last deployed (it never deploys) and is refused, with the reason, on a Core
where the pipeline is not deployed or where a deployed component is missing. Order: start runs
sinks, tasks, then the source; stop runs the source, tasks, then sinks, so no event is produced
into a stopped consumer; restart is a stop then a start. Stop leaves alone a component that
another pipeline running on that Core still uses. After starting, the action waits a short while
for each component to leave `starting`, so a component that fails at once is reported as failed.

Cores are acted on concurrently. I/O module (Cores, ledger).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import Observation, Runtime
from reconciler.decide.outcomes import CoreOutcome, Outcome, StepResult
from reconciler.decide.records import CellError, Deployment, Records, Stage
from reconciler.decide.resolve import ComponentSpec, Role
from reconciler.decide.rows import runnable
from reconciler.errors import CoreCallError
from reconciler.shell.clock import Clock
from reconciler.shell.core.client import CoreClient
from reconciler.shell.ledger.sqlite import Ledger

SETTLE_SECONDS = 10.0
_START_ORDER = (Role.SINK, Role.TASK, Role.SOURCE)


@dataclass(frozen=True, slots=True)
class ActionJob:
    verb: ActionVerb
    pipeline: str
    records: Records
    observations: dict[str, Observation]
    clock: Clock
    ledger: Ledger | None = None


async def act(
    job: ActionJob, cores: Sequence[str], clients: Callable[[str], CoreClient]
) -> tuple[CoreOutcome, ...]:
    """Act on every named Core at once; one outcome per Core, in the order given."""
    return tuple(await asyncio.gather(*(act_on_core(job, core, clients(core)) for core in cores)))


async def act_on_core(job: ActionJob, core: str, client: CoreClient) -> CoreOutcome:
    started = job.clock()
    refusal = _refusal(job, core)
    if refusal is not None:
        reason, message = refusal
        _record(job, core, reason, message)
        return CoreOutcome(core, Outcome.REFUSED, (), reason, message, started, job.clock())
    deployment = job.records.deployments[(core, job.pipeline)]
    steps = await _run_steps(job, core, deployment, client)
    failed = [s for s in steps if s.outcome is Outcome.FAILED]
    if failed:
        first = failed[0]
        message = f"{first.step} {first.kind}/{first.name} failed: {first.message}"
        _record(job, core, first.reason or "failed", message)
        return CoreOutcome(core, Outcome.FAILED, steps, first.reason, message, started, job.clock())
    _record(job, core, None, None)
    return CoreOutcome(core, Outcome.DONE, steps, None, None, started, job.clock())


def _refusal(job: ActionJob, core: str) -> tuple[str, str] | None:
    deployment = job.records.deployments.get((core, job.pipeline))
    if deployment is None:
        return "not-deployed", (
            f"pipeline {job.pipeline} is not deployed on core {core}; a Deploy All must come first"
        )
    observation = job.observations.get(core)
    if observation is None or not observation.reachable:
        reason = observation.reason.value if observation and observation.reason else "unreachable"
        return (
            reason,
            f"core {core} could not be read back: {observation.message if observation else ''}",
        )
    missing = [
        s.name for s in runnable(deployment.components) if s.key not in observation.components
    ]
    if missing:
        return "not-deployed", (
            f"pipeline {job.pipeline} is not fully deployed on core {core} "
            f"(missing: {', '.join(sorted(missing))}); a Deploy All must come first"
        )
    return None


def order(specs: Sequence[ComponentSpec], verb: ActionVerb) -> list[ComponentSpec]:
    """Start order (sinks, tasks, source) or its reverse for stop."""
    ranked = sorted(runnable(specs), key=lambda s: (_START_ORDER.index(s.role), s.name))
    return ranked if verb is ActionVerb.START else list(reversed(ranked))


async def _run_steps(
    job: ActionJob, core: str, deployment: Deployment, client: CoreClient
) -> tuple[StepResult, ...]:
    phases = [ActionVerb.STOP, ActionVerb.START] if job.verb is ActionVerb.RESTART else [job.verb]
    steps: list[StepResult] = []
    for verb in phases:
        for spec in order(deployment.components, verb):
            steps.append(await _step(job, core, spec, verb, client))
            if steps[-1].outcome is Outcome.FAILED:
                return tuple(steps)
    if job.verb is not ActionVerb.STOP:
        steps = await _settle(steps, client)
    return tuple(steps)


async def _step(
    job: ActionJob, core: str, spec: ComponentSpec, verb: ActionVerb, client: CoreClient
) -> StepResult:
    if verb is ActionVerb.STOP and _shared_with_running(job, core, spec):
        return StepResult(
            verb.value,
            spec.kind.value,
            spec.name,
            Outcome.SKIPPED,
            "shared",
            "another pipeline running on this Core uses it",
        )
    try:
        await client.act(spec.kind, spec.name, verb)
    except CoreCallError as error:
        return StepResult(
            verb.value, spec.kind.value, spec.name, Outcome.FAILED, error.reason.value, str(error)
        )
    return StepResult(verb.value, spec.kind.value, spec.name, Outcome.DONE)


def _shared_with_running(job: ActionJob, core: str, spec: ComponentSpec) -> bool:
    observation = job.observations[core]
    for (on, pipeline), other in job.records.deployments.items():
        if (
            on != core
            or pipeline == job.pipeline
            or spec.key not in {s.key for s in other.components}
        ):
            continue
        states = [
            observation.components[s.key].state
            for s in runnable(other.components)
            if s.key in observation.components and s.key != spec.key
        ]
        if Runtime.RUNNING in states:
            return True
    return False


async def _settle(steps: list[StepResult], client: CoreClient) -> list[StepResult]:
    """Wait (bounded) for started components to leave `starting`; report the ones that failed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    settled = []
    for step in steps:
        if step.step != ActionVerb.START.value or step.outcome is not Outcome.DONE:
            settled.append(step)
            continue
        settled.append(await _wait_started(step, client, deadline))
    return settled


async def _wait_started(step: StepResult, client: CoreClient, deadline: float) -> StepResult:
    loop = asyncio.get_running_loop()
    kind = ComponentKind(step.kind)
    while True:
        try:
            held = await client.get(kind, step.name)
        except CoreCallError as error:
            return StepResult(
                step.step, step.kind, step.name, Outcome.FAILED, error.reason.value, str(error)
            )
        state = held.state if held is not None else None
        if state is Runtime.FAILED:
            error_text = held.error if held is not None and held.error else "failed on start"
            return StepResult(
                step.step, step.kind, step.name, Outcome.FAILED, "start-failed", error_text
            )
        if state is not Runtime.STARTING or loop.time() >= deadline:
            return step
        await asyncio.sleep(0.1)


def _record(job: ActionJob, core: str, reason: str | None, message: str | None) -> None:
    """Success clears a cell's start error; a failed start or restart sets it."""
    if job.ledger is None:
        return
    if reason is None or message is None:
        job.ledger.clear_error(core, job.pipeline, Stage.START)
    elif job.verb is not ActionVerb.STOP:
        job.ledger.set_error(
            CellError(core, job.pipeline, Stage.START, reason, message, job.clock())
        )
