"""Rows of the Management → Pipelines table: status, tags and cells (SPEC §3).

`rows()` is a pure function of (desired, records, observations, now). Each (pipeline, Core) cell
carries a `deployment` and a `runtime` value; the row's status is the first match of SPEC §3:

1. No assigned Cores   nothing assigned, and no Core still holds a deployment of it
2. Drift detected      observed ≠ deployed on an assigned Core, or execution is split
3. Pending deployment  desired ≠ deployed somewhere (including a Core it was removed from)
4. Running             execution active (running or starting) on at least one Core
5. Ready to start      deployment current everywhere, nothing running

Choices where SPEC §3 is silent, written down here:
- A Core that stops answering keeps its last readback (flagged `core-unreachable`, and
  `readback-stale` after three intervals) rather than flipping every row to unknown.
- "Split" execution is: running on one Core and failed on another, or a cell that is `partial`
  (some of its connectors and tasks running, others not). Failed everywhere is not split: the row
  stays `Ready to start`, tagged `start-failed`, since starting it again is what to do.
- A cell's runtime counts the pipeline's enabled connectors and tasks, and of those only its own
  when it has any: a component shared with another pipeline on that Core (a common source) runs
  or stops with either, so it says nothing about this one, unless it failed. A pipeline never
  deployed on a Core is `stopped` there.
- `unmanaged-components` marks a row when an assigned Core holds a component that nobody declared
  and this reconciler never wrote, wired to one of the row's streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from reconciler.decide import resolve
from reconciler.decide.components import ComponentSpec, Key, runnable
from reconciler.decide.diff import ComponentDrift, drift
from reconciler.decide.fingerprint import fingerprint
from reconciler.decide.model import ComponentKind, DeclaredState
from reconciler.decide.observed import Observation, ObservedComponent, Runtime
from reconciler.decide.records import Deployment, Records, Stage
from reconciler.decide.resolve import Resolution
from reconciler.decide.unmanaged import unmanaged_streams

STALE_AFTER_INTERVALS = 3


class Status(StrEnum):
    NO_ASSIGNED_CORES = "No assigned Cores"
    DRIFT_DETECTED = "Drift detected"
    PENDING_DEPLOYMENT = "Pending deployment"
    RUNNING = "Running"
    READY_TO_START = "Ready to start"


class Tag(StrEnum):
    """Row tags, in the order they are shown."""

    DEPLOYMENT_DRIFT = "deployment-drift"
    SPLIT_HEALTH = "split-health"
    DEPLOY_FAILED = "deploy-failed"
    START_FAILED = "start-failed"
    CORE_UNREACHABLE = "core-unreachable"
    READBACK_STALE = "readback-stale"
    REMOVAL_PENDING = "removal-pending"
    PARTIALLY_RUNNING = "partially-running"
    UNMANAGED_COMPONENTS = "unmanaged-components"


class DeploymentState(StrEnum):
    CURRENT = "current"
    PENDING = "pending"
    DRIFT = "drift"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CellView:
    """One (pipeline, Core) cell of a row."""

    core: str
    assigned: bool
    deployment: DeploymentState
    runtime: Runtime
    deployed_revision: str | None = None
    deployed_at: datetime | None = None
    last_error: str | None = None
    drift: tuple[ComponentDrift, ...] = ()
    """What differs from the deployment, component by component, when `deployment` is drift."""


@dataclass(frozen=True, slots=True)
class Row:
    pipeline: str
    status: Status
    tags: tuple[Tag, ...]
    cells: tuple[CellView, ...]
    declared: bool = True


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything a row depends on; built once per pass."""

    state: DeclaredState
    records: Records
    observations: Mapping[str, Observation]
    now: datetime
    interval: timedelta
    resolved: Resolution | None = None
    """The state's resolution, when the caller has it already (else it is made here)."""


@dataclass(frozen=True, slots=True)
class Index:
    """What every row looks up, built once for all rows (never once per row or per cell)."""

    resolved: Resolution
    deployed_on: Mapping[str, set[str]]
    """Per pipeline, the Cores the records hold a deployment of it on."""
    users: Mapping[str, Mapping[Key, set[str]]]
    """Per Core, per component, the pipelines deployed there that use it."""
    touched: Mapping[str, set[str]]
    """Per Core, the streams its unmanaged components use."""


def rows(inputs: Inputs) -> tuple[Row, ...]:
    """Every declared pipeline, and every undeclared one still deployed somewhere, by name."""
    index = index_of(inputs)
    names = sorted(set(inputs.state.pipelines) | set(index.deployed_on))
    return tuple(row(inputs, name, index) for name in names)


def index_of(inputs: Inputs) -> Index:
    deployed_on: dict[str, set[str]] = {}
    users: dict[str, dict[Key, set[str]]] = {}
    for (core, pipeline), deployment in inputs.records.deployments.items():
        deployed_on.setdefault(pipeline, set()).add(core)
        on_core = users.setdefault(core, {})
        for spec in deployment.components:
            on_core.setdefault(spec.key, set()).add(pipeline)
    resolved = inputs.resolved or resolve.resolution(inputs.state)
    seen = inputs.observations
    touched = unmanaged_streams(inputs.state, inputs.records, seen, resolved.declared)
    return Index(resolved, deployed_on, users, touched)


CALM = (Status.RUNNING, Status.READY_TO_START, Status.NO_ASSIGNED_CORES)
"""Statuses that need nobody, unless a tag says otherwise."""


def needs_attention(row: Row) -> bool:
    """Whether a person should look at the row: a status that is not calm, or any tag."""
    return row.status not in CALM or bool(row.tags)


def row(inputs: Inputs, pipeline: str, index: Index) -> Row:
    """The row of one pipeline."""
    declared = pipeline in inputs.state.pipelines
    assigned = set(index.resolved.cores.get(pipeline, ())) if declared else set()
    specs = index.resolved.components.get(pipeline, ()) if declared else ()
    cores = assigned | index.deployed_on.get(pipeline, set())
    cells = tuple(
        cell(inputs, pipeline, core, index, assigned=core in assigned, specs=specs)
        for core in sorted(cores)
    )
    streams = {s.name for s in specs if s.kind is ComponentKind.STREAM}
    tags = _tags(inputs, pipeline, cells)
    if any(streams & index.touched.get(c.core, set()) for c in cells if c.assigned):
        tags += (Tag.UNMANAGED_COMPONENTS,)
    return Row(pipeline, _status(cells), tags, cells, declared)


def cell(
    inputs: Inputs,
    pipeline: str,
    core: str,
    index: Index,
    *,
    assigned: bool,
    specs: tuple[ComponentSpec, ...],
) -> CellView:
    """One cell: how the pipeline's deployment and execution stand on one Core."""
    deployment = inputs.records.deployments.get((core, pipeline))
    observation = inputs.observations.get(core)
    held = observation.components if observation is not None and observation.seen else None
    found = tuple(drift(deployment.components, held)) if deployment and held is not None else ()
    return CellView(
        core=core,
        assigned=assigned,
        deployment=_deployment_state(assigned, specs, deployment, held, bool(found)),
        runtime=_runtime(deployment, observation, _sharing(index, core, pipeline)),
        deployed_revision=deployment.revision if deployment else None,
        deployed_at=deployment.deployed_at if deployment else None,
        last_error=_last_error(inputs, core, pipeline, deployment, observation),
        drift=found if assigned else (),
    )


def _deployment_state(
    assigned: bool,
    specs: tuple[ComponentSpec, ...],
    deployment: Deployment | None,
    held: Mapping[Key, ObservedComponent] | None,
    drifted: bool,
) -> DeploymentState:
    if deployment is None:
        return DeploymentState.MISSING
    if not assigned:
        return DeploymentState.PENDING
    if drifted:
        return DeploymentState.DRIFT
    if fingerprint(specs) != deployment.fingerprint:
        return DeploymentState.PENDING
    return DeploymentState.UNKNOWN if held is None else DeploymentState.CURRENT


def _sharing(index: Index, core: str, pipeline: str) -> Callable[[Key], bool]:
    """Whether another pipeline deployed on the same Core uses a component."""
    users = index.users.get(core, {})
    return lambda key: bool(users.get(key, set()) - {pipeline})


def _runtime(
    deployment: Deployment | None, observation: Observation | None, shared: Callable[[Key], bool]
) -> Runtime:
    """The cell's runtime, judged by the pipeline's own components when it has any: a source it
    shares with another running pipeline says nothing about whether this one runs, but a shared
    component that failed fails every pipeline that uses it."""
    if deployment is None:
        return Runtime.STOPPED
    if observation is None or not observation.seen:
        return Runtime.UNKNOWN
    mine = runnable(deployment.components)
    own = {spec.key for spec in mine if not shared(spec.key)} or {spec.key for spec in mine}
    states = []
    for spec in mine:
        found = observation.components.get(spec.key)
        state = found.state if found is not None and found.state else Runtime.STOPPED
        if spec.key in own or state is Runtime.FAILED:
            states.append(state)
    return combine(states)


def combine(states: Iterable[Runtime]) -> Runtime:
    """The runtime of a set of components: one word for the whole cell."""
    seen = set(states)
    if not seen:
        return Runtime.STOPPED
    if Runtime.FAILED in seen:
        return Runtime.FAILED
    if Runtime.UNKNOWN in seen:
        return Runtime.UNKNOWN
    if len(seen) == 1:
        return seen.pop()
    if seen <= {Runtime.RUNNING, Runtime.STARTING}:
        return Runtime.STARTING
    if seen <= {Runtime.STOPPED, Runtime.STOPPING}:
        return Runtime.STOPPING
    return Runtime.PARTIAL


def _last_error(
    inputs: Inputs,
    core: str,
    pipeline: str,
    deployment: Deployment | None,
    observation: Observation | None,
) -> str | None:
    errors = [inputs.records.error((core, pipeline), stage) for stage in Stage]
    recorded = [e for e in errors if e is not None]
    if recorded:
        latest = max(recorded, key=lambda e: e.at)
        return f"{latest.stage.value} {latest.reason}: {latest.message}"
    if observation is not None and not observation.reachable and observation.reason:
        return f"readback {observation.reason.value}: {observation.message}"
    if deployment is not None and observation is not None:
        for spec in runnable(deployment.components):
            found = observation.components.get(spec.key)
            if found is not None and found.state is Runtime.FAILED:
                because = f": {found.error}" if found.error else ""
                return f"{spec.kind.singular} {spec.name} failed{because}"
    return None


def _split(runtimes: list[Runtime]) -> bool:
    both = Runtime.RUNNING in runtimes and Runtime.FAILED in runtimes
    return both or Runtime.PARTIAL in runtimes


def _status(cells: tuple[CellView, ...]) -> Status:
    if not cells:
        return Status.NO_ASSIGNED_CORES
    mine = [c for c in cells if c.assigned]
    runtimes = [c.runtime for c in mine]
    if any(c.deployment is DeploymentState.DRIFT for c in mine) or _split(runtimes):
        return Status.DRIFT_DETECTED
    pending = (DeploymentState.PENDING, DeploymentState.MISSING)
    if any(c.deployment in pending for c in cells):
        return Status.PENDING_DEPLOYMENT
    if any(r in (Runtime.RUNNING, Runtime.STARTING) for r in runtimes):
        return Status.RUNNING
    return Status.READY_TO_START


def _tags(inputs: Inputs, pipeline: str, cells: tuple[CellView, ...]) -> tuple[Tag, ...]:
    """Every tag but `unmanaged-components`, which needs the whole Core (see `row`)."""
    mine = [c for c in cells if c.assigned]
    runtimes = [c.runtime for c in mine]
    found = {
        Tag.DEPLOYMENT_DRIFT: any(c.deployment is DeploymentState.DRIFT for c in mine),
        Tag.SPLIT_HEALTH: _split(runtimes),
        Tag.DEPLOY_FAILED: _any_error(inputs, pipeline, cells, Stage.DEPLOY),
        Tag.START_FAILED: _any_error(inputs, pipeline, cells, Stage.START)
        or Runtime.FAILED in runtimes,
        Tag.CORE_UNREACHABLE: any(_unreachable(inputs, c.core) for c in cells),
        Tag.READBACK_STALE: any(stale(inputs, c.core) for c in cells),
        Tag.REMOVAL_PENDING: any(not c.assigned for c in cells),
        Tag.PARTIALLY_RUNNING: Runtime.PARTIAL in runtimes
        or (Runtime.RUNNING in runtimes and any(r is not Runtime.RUNNING for r in runtimes)),
    }
    return tuple(tag for tag in Tag if found.get(tag))


def _any_error(inputs: Inputs, pipeline: str, cells: Iterable[CellView], stage: Stage) -> bool:
    return any(inputs.records.error((c.core, pipeline), stage) is not None for c in cells)


def _unreachable(inputs: Inputs, core: str) -> bool:
    observation = inputs.observations.get(core)
    return observation is not None and not observation.reachable


def stale(inputs: Inputs, core: str) -> bool:
    """Whether the Core's last good readback is older than the stale limit at `inputs.now`."""
    observation = inputs.observations.get(core)
    if observation is None or observation.last_seen is None:
        return False
    return inputs.now - observation.last_seen > STALE_AFTER_INTERVALS * inputs.interval
