"""What this reconciler has done, as values: deployments per (Core, pipeline) and the last errors.

The daemon keeps these in its ledger (`reconciler.shell.ledger`). Commands that run without the
daemon's state (`plan`, `status`, `action`) rebuild the same values from the `metadata` every
component carries, since the reconciler writes its managed-by mark, the pipelines it serves, the
revision and the applied spec into each component it deploys. Pure module.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from reconciler.decide.components import ComponentSpec, Key
from reconciler.decide.fingerprint import fingerprint
from reconciler.decide.observed import MANAGED_BY, Observation, ObservedComponent
from reconciler.decide.outcomes import OutcomeReason

Cell = tuple[str, str]
"""(core, pipeline)."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """What was last successfully deployed for one pipeline on one Core (SPEC §3 "deployed")."""

    core: str
    pipeline: str
    components: tuple[ComponentSpec, ...]
    revision: str
    deployed_at: datetime
    request_id: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.components)


class Stage(StrEnum):
    """Which step of a cell's lifecycle an error belongs to."""

    DEPLOY = "deploy"
    START = "start"


@dataclass(frozen=True, slots=True)
class CellError:
    """The last failure of a deploy or a start on one cell; cleared by the next success."""

    core: str
    pipeline: str
    stage: Stage
    reason: OutcomeReason
    message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Records:
    """The ledger as the pure core sees it."""

    deployments: Mapping[Cell, Deployment] = field(default_factory=dict)
    owned: Mapping[str, frozenset[Key]] = field(default_factory=dict)
    """Per Core, every component this reconciler wrote there and has not deleted."""
    errors: Mapping[tuple[str, str, Stage], CellError] = field(default_factory=dict)
    intents: Mapping[str, frozenset[Key]] = field(default_factory=dict)
    """Per Core, components a call was about to write or delete when it was recorded: a call
    whose answer never came (a crash, a cut connection) leaves its intent behind."""

    def deployed_pipelines(self, core: str) -> set[str]:
        return {pipeline for (on, pipeline) in self.deployments if on == core}

    def error(self, cell: Cell, stage: Stage) -> CellError | None:
        return self.errors.get((cell[0], cell[1], stage))


def by_core(records: Records) -> dict[str, Records]:
    """Each Core's own records, split in one walk of the ledger.

    A Core's plan, its deployment and its adoption read only that Core's records; reading them
    out of the whole ledger for each Core made a Deploy All grow with Cores times cells (500
    Cores by 50,000 cells at 10,000 pipelines). A Core with no records is absent: use `Records()`.
    """
    deployments: dict[str, dict[Cell, Deployment]] = {}
    for cell, deployment in records.deployments.items():
        deployments.setdefault(cell[0], {})[cell] = deployment
    errors: dict[str, dict[tuple[str, str, Stage], CellError]] = {}
    for key, error in records.errors.items():
        errors.setdefault(key[0], {})[key] = error
    cores = deployments.keys() | records.owned.keys() | errors.keys() | records.intents.keys()
    return {
        core: Records(
            deployments=deployments.get(core, {}),
            owned={core: records.owned[core]} if core in records.owned else {},
            errors=errors.get(core, {}),
            intents={core: records.intents[core]} if core in records.intents else {},
        )
        for core in cores
    }


def component_metadata(
    pipelines: Iterable[str], revision: str, deployed_at: datetime, body: Mapping[str, Any]
) -> dict[str, Any]:
    """The `metadata` the reconciler writes with a component (fingerprints never include it)."""
    return {
        "managed-by": MANAGED_BY,
        "pipelines": sorted(set(pipelines)),
        "revision": revision,
        "deployed-at": deployed_at.isoformat(),
        "applied": dict(body),
    }


def adopted(records: Records, observations: Mapping[str, Observation]) -> Records:
    """The ledger's records, with what the Cores show this reconciler wrote filled in.

    A crash between a Core's answer and the ledger's record, or an answer lost after the Core
    applied the change, must not lose ownership: a component a Core holds with this
    reconciler's `metadata`, or one a recorded intent names, is owned again, and a pipeline the
    metadata names on a Core where the ledger records no deployment counts as deployed there
    (from the metadata), so that it is planned for, shown and, when no longer wanted, removed.
    The ledger's own records always win where both speak.
    """
    seen = records_from_metadata(observations, records.deployments)
    owned = {core: set(keys) for core, keys in records.owned.items()}
    for core, observation in observations.items():
        keys = seen.owned.get(core, frozenset())
        keys |= records.intents.get(core, frozenset()) & set(observation.components)
        owned.setdefault(core, set()).update(keys)
    return Records(
        deployments={**seen.deployments, **records.deployments},
        owned={core: frozenset(keys) for core, keys in owned.items() if keys},
        errors=records.errors,
        intents=records.intents,
    )


def records_from_metadata(
    observations: Mapping[str, Observation], known: Container[Cell] = frozenset()
) -> Records:
    """Rebuild deployments and ownership from what the Cores say about their own components;
    the deployments of cells in `known` (the ledger has them, and it wins) are not rebuilt."""
    deployments: dict[Cell, Deployment] = {}
    owned: dict[str, frozenset[Key]] = {}
    for core, observation in observations.items():
        managed = [c for c in observation.components.values() if c.managed]
        owned[core] = frozenset(component.key for component in managed)
        serving: dict[str, list[ObservedComponent]] = {}
        for component in managed:  # one walk per Core, not one per pipeline on it
            for pipeline in dict.fromkeys(_pipelines_of(component)):
                serving.setdefault(pipeline, []).append(component)
        for pipeline in sorted(serving):
            if (core, pipeline) not in known:
                deployments[(core, pipeline)] = _deployment(core, pipeline, serving[pipeline])
    return Records(deployments=deployments, owned=owned)


def _pipelines_of(component: ObservedComponent) -> list[str]:
    pipelines = component.metadata.get("pipelines", [])
    return [p for p in pipelines if isinstance(p, str)] if isinstance(pipelines, list) else []


def _deployment(core: str, pipeline: str, serving: list[ObservedComponent]) -> Deployment:
    latest = max(serving, key=lambda c: str(c.metadata.get("deployed-at", "")))
    applied = [
        ComponentSpec(c.kind, c.name, _applied(c)) for c in sorted(serving, key=lambda c: c.key)
    ]
    return Deployment(
        core=core,
        pipeline=pipeline,
        components=tuple(applied),
        revision=str(latest.metadata.get("revision", "")),
        deployed_at=_when(latest.metadata.get("deployed-at")),
        request_id="",
    )


def _applied(component: ObservedComponent) -> Mapping[str, Any]:
    applied = component.metadata.get("applied")
    return applied if isinstance(applied, dict) else component.body


def _when(value: object) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
