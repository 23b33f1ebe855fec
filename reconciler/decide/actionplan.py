"""The rules of a Core Action (SPEC §5) on one Core, as a plan of steps: purely computational.

Given what was last deployed (the records) and what the Core holds now (its readback), a
start, stop or restart of one pipeline on one Core is either refused, with the reason, or a list
of steps in order:

- refused when the pipeline is not deployed there, when the Core could not be read back, or when
  one of the pipeline's runnable components is missing from it (a Deploy All must come first);
  a start or restart is refused, too, where any of the pipeline's components (streams and
  queries included) is missing or differs from what was deployed, naming it: starting a
  pipeline with a deleted sink or an edited task would run something nobody deployed;
- start runs sinks, tasks, then the source; stop runs the source, tasks, then sinks, so no event
  is produced into a stopped consumer; restart is a stop, then a start;
- stop leaves alone a component that another pipeline running on that Core still uses (it is a
  step skipped with `OutcomeReason.SHARED`).

The shell (`reconciler.shell.actions`) makes the calls and waits for started components to
settle. Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.decide.components import ComponentSpec, Role, runnable
from reconciler.decide.diff import drift
from reconciler.decide.model import ActionVerb
from reconciler.decide.observed import Observation, Runtime
from reconciler.decide.outcomes import OutcomeReason
from reconciler.decide.records import Records

_START_ORDER = (Role.SINK, Role.TASK, Role.SOURCE)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a Core Action is not carried out on a Core."""

    reason: OutcomeReason
    message: str


@dataclass(frozen=True, slots=True)
class ActionStep:
    """One call of a Core Action: start or stop one component, or leave it (`skip`) and why."""

    verb: ActionVerb
    spec: ComponentSpec
    skip: OutcomeReason | None = None


@dataclass(frozen=True, slots=True)
class CoreActionPlan:
    """What a Core Action does on one Core: its steps in order, or why it is refused."""

    core: str
    steps: tuple[ActionStep, ...] = ()
    refused: Refusal | None = None


def plan_action(
    verb: ActionVerb,
    pipeline: str,
    core: str,
    records: Records,
    observation: Observation | None,
) -> CoreActionPlan:
    """The plan of `verb` for `pipeline` on `core`, judged against its latest readback."""
    refusal = refused(pipeline, core, records, observation)
    if refusal is None and verb is not ActionVerb.STOP and observation is not None:
        refusal = drifted(pipeline, core, records, observation)
    if refusal is not None or observation is None:
        return CoreActionPlan(core, refused=refusal)
    components = records.deployments[(core, pipeline)].components
    phases = [ActionVerb.STOP, ActionVerb.START] if verb is ActionVerb.RESTART else [verb]
    steps = []
    for phase in phases:
        for spec in order(components, phase):
            stop = phase is ActionVerb.STOP
            shared = stop and shared_with_running(pipeline, core, spec, records, observation)
            steps.append(ActionStep(phase, spec, OutcomeReason.SHARED if shared else None))
    return CoreActionPlan(core, tuple(steps))


def refused(
    pipeline: str, core: str, records: Records, observation: Observation | None
) -> Refusal | None:
    """Why an action on `pipeline` cannot run on `core` now, or None when it can."""
    deployment = records.deployments.get((core, pipeline))
    if deployment is None:
        return Refusal(
            OutcomeReason.NOT_DEPLOYED,
            f"pipeline {pipeline} is not deployed on core {core}; a Deploy All must come first",
        )
    if observation is None or not observation.reachable:
        reason = observation.reason if observation is not None else None
        message = observation.message if observation is not None else ""
        return Refusal(
            OutcomeReason.of(reason) if reason else OutcomeReason.UNREACHABLE,
            f"core {core} could not be read back: {message or ''}",
        )
    missing = [
        s.name for s in runnable(deployment.components) if s.key not in observation.components
    ]
    if missing:
        return Refusal(
            OutcomeReason.NOT_DEPLOYED,
            f"pipeline {pipeline} is not fully deployed on core {core} "
            f"(missing: {', '.join(sorted(missing))}); a Deploy All must come first",
        )
    return None


def drifted(pipeline: str, core: str, records: Records, observation: Observation) -> Refusal | None:
    """Why starting `pipeline` on `core` would run what was not deployed, or None."""
    found = drift(records.deployments[(core, pipeline)].components, observation.components)
    if not found:
        return None
    missing = any(component.missing for component in found)
    what = "; ".join(component.summary for component in found)
    return Refusal(
        OutcomeReason.NOT_DEPLOYED if missing else OutcomeReason.DRIFTED,
        f"pipeline {pipeline} on core {core} is not as last deployed ({what}); "
        "a Deploy All must repair it first",
    )


def order(specs: Sequence[ComponentSpec], verb: ActionVerb) -> list[ComponentSpec]:
    """Start order (sinks, tasks, source) or its reverse for stop."""
    ranked = sorted(runnable(specs), key=lambda s: (_START_ORDER.index(s.role), s.name))
    return ranked if verb is ActionVerb.START else list(reversed(ranked))


def shared_with_running(
    pipeline: str, core: str, spec: ComponentSpec, records: Records, observation: Observation
) -> bool:
    """Whether another pipeline deployed on `core` uses `spec` and has a component running."""
    for (on, other), deployment in records.deployments.items():
        if on != core or other == pipeline:
            continue
        if spec.key not in {s.key for s in deployment.components}:
            continue
        states = [
            observation.components[s.key].state
            for s in runnable(deployment.components)
            if s.key in observation.components and s.key != spec.key
        ]
        if Runtime.RUNNING in states:
            return True
    return False
