"""Values for tests of the pure core: a small declared state, records and readbacks around it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.decide import resolve
from reconciler.decide.components import ComponentSpec, Key
from reconciler.decide.model import ComponentKind, DeclaredState
from reconciler.decide.observed import Observation, ObservedComponent, Reason, Runtime
from reconciler.decide.outcomes import OutcomeReason
from reconciler.decide.records import CellError, Deployment, Records, Stage, component_metadata
from tests.support.declared import parse_texts
from tests.support.repos import VALIDATE_BASE

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=15)
CORE_ADDED = {"created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-02T00:00:00Z"}


def base_texts() -> dict[str, str]:
    """The validation base repository (pipelines `main` and `detect`, Cores edge-1 and edge-2)."""
    return {
        path.relative_to(VALIDATE_BASE).as_posix(): path.read_text()
        for path in sorted(VALIDATE_BASE.rglob("*.yaml"))
        if not path.relative_to(VALIDATE_BASE).parts[0].startswith(".")
    }


def base_state(replace: Mapping[str, str] | None = None) -> DeclaredState:
    """The base state with some files replaced by other text (an empty text deletes the file)."""
    files = {**base_texts(), **(replace or {})}
    return parse_texts({path: text for path, text in files.items() if text})


BASE = base_state()


def specs(pipeline: str, state: DeclaredState = BASE) -> tuple[ComponentSpec, ...]:
    return resolve.components(state, pipeline)


def deployment(
    core: str,
    pipeline: str,
    components: tuple[ComponentSpec, ...] | None = None,
    revision: str = "rev-1",
) -> Deployment:
    return Deployment(
        core=core,
        pipeline=pipeline,
        components=components if components is not None else specs(pipeline),
        revision=revision,
        deployed_at=NOW - timedelta(hours=1),
        request_id="first-rollout",
    )


def records(*deployments: Deployment, errors: Iterable[CellError] = ()) -> Records:
    owned: dict[str, set[Key]] = {}
    for d in deployments:
        owned.setdefault(d.core, set()).update(spec.key for spec in d.components)
    return Records(
        deployments={(d.core, d.pipeline): d for d in deployments},
        owned={core: frozenset(keys) for core, keys in owned.items()},
        errors={(e.core, e.pipeline, e.stage): e for e in errors},
    )


def error(
    core: str, pipeline: str, stage: Stage, reason: OutcomeReason = OutcomeReason.REJECTED
) -> CellError:
    return CellError(core, pipeline, stage, reason, "the core said no", NOW - timedelta(minutes=5))


def held(
    components: Iterable[ComponentSpec],
    state: Runtime = Runtime.STOPPED,
    pipelines: Iterable[str] = ("main",),
    states: Mapping[str, Runtime] | None = None,
    edits: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[Key, ObservedComponent]:
    """Components as a Core reports them after a deploy: Core-added fields, metadata, states."""
    found = {}
    for spec in components:
        runs = spec.kind in (ComponentKind.CONNECTOR, ComponentKind.TASK)
        body = {**spec.body, **CORE_ADDED, **(edits or {}).get(spec.name, {})}
        metadata = component_metadata(pipelines, "rev-1", NOW - timedelta(hours=1), spec.body)
        runtime = (states or {}).get(spec.name, state) if runs else None
        found[spec.key] = ObservedComponent(spec.kind, spec.name, body, runtime, None, metadata)
    return found


def seen(
    core: str,
    components: Mapping[Key, ObservedComponent],
    reachable: bool = True,
    last_seen: datetime | None = NOW,
) -> Observation:
    return Observation(
        core=core,
        reachable=reachable,
        attempted_at=NOW,
        last_seen=last_seen,
        components=components,
        version="refcore-0.1.0" if last_seen else None,
        reason=None if reachable else Reason.UNREACHABLE,
        message=None if reachable else "connection refused",
    )
