"""Plans (SPEC §4): per Core, the ordered operations that bring it from observed to desired.

Pairing is by (kind, name): a desired component the Core lacks is created; one it holds with
another spec, or with another set of pipelines in its metadata, is updated; a component this
reconciler owns there (per the records) and nobody desires any more is deleted. Components this
reconciler never wrote are never touched. Creates and updates run in the order streams, queries,
sinks, tasks, sources; deletes run afterwards in the reverse order, so nothing is ever wired to a
component that does not exist yet or any more. A component shared by pipelines is desired while
any of them is.

The digest covers what the plan would change (operation, component, spec digest, pipelines) and
which Cores could not be planned; it ignores times and revisions, so `reconciler plan` in a pull
request and the deploy-time plan agree when nothing changed in between. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.decide import resolve
from reconciler.decide.components import ComponentSpec, Key, OpKind, role_of
from reconciler.decide.diff import FieldChange, field_changes, same_spec
from reconciler.decide.fingerprint import digest
from reconciler.decide.model import ComponentKind, DeclaredState
from reconciler.decide.observed import Observation, Reason
from reconciler.decide.records import Records, by_core
from reconciler.decide.resolve import Resolution


@dataclass(frozen=True, slots=True)
class Operation:
    """One change to one component on one Core."""

    op: OpKind
    kind: ComponentKind
    name: str
    why: str
    body: Mapping[str, Any] | None = None
    """The spec to PUT (None for a delete)."""
    pipelines: tuple[str, ...] = ()
    """The pipelines on this Core that need the component (empty for a delete)."""
    changes: tuple[FieldChange, ...] = ()
    """For an update, the fields it changes on the Core: `expected` is what it writes, `held`
    what the Core holds now (secrets masked); the digest does not cover them."""

    @property
    def key(self) -> Key:
        return (self.kind, self.name)


@dataclass(frozen=True, slots=True)
class CorePlan:
    """The operations for one Core, or why none could be computed."""

    core: str
    operations: tuple[Operation, ...] = ()
    blocked: Reason | None = None
    desired: Mapping[str, tuple[ComponentSpec, ...]] = field(default_factory=dict)
    """The pipelines desired on this Core and their components, recorded once the plan is done."""


@dataclass(frozen=True, slots=True)
class Plan:
    revision: str
    cores: tuple[CorePlan, ...]

    @property
    def digest(self) -> str:
        return plan_digest(self)

    @property
    def changes(self) -> int:
        return sum(len(core.operations) for core in self.cores)


def plan(
    state: DeclaredState,
    records: Records,
    observations: Mapping[str, Observation],
    revision: str,
    resolved: Resolution | None = None,
) -> Plan:
    """The plan for every declared Core (`resolved`: the state's resolution, when known)."""
    desired, own = resolve.desired(state, resolved), by_core(records)
    cores = tuple(
        plan_core(core, desired[core], own.get(core, Records()), observations.get(core))
        for core in sorted(state.cores)
    )
    return Plan(revision, cores)


def plan_core(
    core: str,
    desired: Mapping[str, tuple[ComponentSpec, ...]],
    records: Records,
    observation: Observation | None,
) -> CorePlan:
    """The operations that bring one Core to `desired`, judged against its latest readback
    (`records`: the ledger's, or this Core's own, `records.by_core`)."""
    if observation is None or not observation.reachable:
        if not desired and not records.owned.get(core):
            return CorePlan(core)
        reason = observation.reason if observation and observation.reason else Reason.UNREACHABLE
        return CorePlan(core, blocked=reason, desired=desired)
    wanted = _wanted(desired)
    applied = _applied(records, core)
    upserts = [
        op
        for key in sorted(wanted, key=lambda k: (role_of(k[0], wanted[k][0]), k[1]))
        if (op := _upsert(key, *wanted[key], applied.get(key), observation)) is not None
    ]
    deletes = [
        Operation(OpKind.DELETE, kind, name, "no longer desired on this Core")
        for kind, name in records.owned.get(core, frozenset())
        if (kind, name) not in wanted and (kind, name) in observation.components
    ]
    deletes.sort(key=lambda op: (-_role(op, observation), op.name))
    return CorePlan(core, tuple(upserts + deletes), desired=desired)


def _wanted(
    desired: Mapping[str, tuple[ComponentSpec, ...]],
) -> dict[Key, tuple[Mapping[str, Any], tuple[str, ...]]]:
    """Every component desired on a Core, with the sorted pipelines that need it."""
    users: dict[Key, set[str]] = {}
    bodies: dict[Key, Mapping[str, Any]] = {}
    for pipeline, specs in desired.items():
        for spec in specs:
            users.setdefault(spec.key, set()).add(pipeline)
            bodies[spec.key] = spec.body
    return {key: (bodies[key], tuple(sorted(users[key]))) for key in bodies}


def _applied(records: Records, core: str) -> dict[Key, Mapping[str, Any]]:
    """The spec last deployed for each component on a Core, per the records."""
    return {
        spec.key: spec.body
        for (on, _pipeline), deployment in records.deployments.items()
        if on == core
        for spec in deployment.components
    }


def _upsert(
    key: Key,
    body: Mapping[str, Any],
    pipelines: tuple[str, ...],
    applied: Mapping[str, Any] | None,
    observation: Observation,
) -> Operation | None:
    kind, name = key
    held = observation.components.get(key)
    if held is None:
        return Operation(OpKind.CREATE, kind, name, "not on the Core", body, pipelines)
    why = None
    if applied is not None and applied != body:
        why = "declared spec changed"
    elif not same_spec(held, body):
        why = "spec on the Core differs (changed out of band)"
    elif not held.managed:
        why = "take ownership of an existing component"
    elif tuple(sorted(held.metadata.get("pipelines", []))) != pipelines:
        why = "pipelines using it changed"
    if why is None:
        return None
    changes = tuple(field_changes(body, held.body))
    return Operation(OpKind.UPDATE, kind, name, why, body, pipelines, changes)


def _role(op: Operation, observation: Observation) -> int:
    return int(role_of(op.kind, observation.components[op.key].body))


def plan_digest(plan: Plan) -> str:
    """`sha256:…` over the plan's changes and blocked Cores (see the module docstring).

    A spec shared by Cores (the same body object) is digested once.
    """
    digests: dict[int, str] = {}

    def spec_digest(body: Mapping[str, Any]) -> str:
        if id(body) not in digests:
            digests[id(body)] = digest(body)
        return digests[id(body)]

    cores = [
        {
            "core": core.core,
            "blocked": core.blocked.value if core.blocked else None,
            "operations": [
                {
                    "op": op.op.value,
                    "kind": op.kind.value,
                    "name": op.name,
                    "spec": spec_digest(op.body) if op.body is not None else None,
                    "pipelines": list(op.pipelines),
                }
                for op in core.operations
            ],
        }
        for core in plan.cores
        if core.operations or core.blocked
    ]
    return digest(cores)
