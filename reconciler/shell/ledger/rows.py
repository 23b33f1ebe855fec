"""Rows as both ledger backends store them, and the values they hold: one codec for both.

A deployment's components are JSON text, times ISO 8601 text, a run its `runcodec` document;
`run_problems` judges one stored run for `integrity`. Pure functions over rows; shell module
only because the ledger package is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from reconciler.decide import runcodec
from reconciler.decide.components import ComponentSpec, Key
from reconciler.decide.model import ComponentKind
from reconciler.decide.outcomes import OutcomeReason, RequestState, Run
from reconciler.decide.records import CellError, Deployment, Records, Stage

TABLES: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "owned": ("core", "kind", "name"),
    "deployments": ("core", "pipeline", "revision", "deployed_at", "request_id", "components"),
    "cell_errors": ("core", "pipeline", "stage", "reason", "message", "at"),
    "intents": ("core", "kind", "name", "op", "run_id"),
    "runs": ("id", "kind", "state", "commit_sha", "requested_at", "document"),
}
"""Every table a ledger's content is in, with its columns in order (the same on both backends)."""


def run_row(run: Run) -> tuple[str, str, str, str, str, str]:
    """A run as the `runs` table holds it: id, kind, state, commit, requested at, document."""
    return (
        run.id,
        run.kind.value,
        run.state.value,
        run.commit,
        run.requested_at.isoformat(),
        runcodec.dumps(run),
    )


def run_problems(run_id: str, state: str, document: str) -> list[str]:
    try:
        run = runcodec.loads(document)
    except (ValueError, KeyError, TypeError) as error:
        return [f"run {run_id}: its record cannot be read ({type(error).__name__})"]
    problems = []
    if run.id != run_id or run.state.value != state:
        problems.append(f"run {run_id}: its record says {run.id} {run.state.value}, not {state}")
    ran = run.state in (RequestState.DONE, RequestState.FAILED)
    if (not run.state.finished and run.finished_at) or (ran and run.finished_at is None):
        problems.append(f"run {run_id}: {run.state.value} but finished_at is {run.finished_at}")
    return problems


def spec_json(spec: ComponentSpec) -> dict[str, Any]:
    return {"kind": spec.kind.value, "name": spec.name, "body": spec.body}


def deployment(row: tuple[Any, ...]) -> Deployment:
    core, pipeline, revision, deployed_at, request_id, components = row
    specs = tuple(
        ComponentSpec(ComponentKind(c["kind"]), c["name"], c["body"])
        for c in json.loads(components)
    )
    return Deployment(
        core, pipeline, specs, revision, datetime.fromisoformat(deployed_at), request_id
    )


def cell_error(row: tuple[Any, ...]) -> CellError:
    core, pipeline, stage, reason, message, at = row
    return CellError(
        core, pipeline, Stage(stage), OutcomeReason(reason), message, datetime.fromisoformat(at)
    )


def records_of(
    owned: Iterable[tuple[Any, ...]],
    deployments: Iterable[tuple[Any, ...]],
    errors: Iterable[tuple[Any, ...]],
    intents: Iterable[tuple[Any, ...]],
) -> Records:
    """Records from the rows of `owned`, `deployments`, `cell_errors` and `intents` (the first
    three columns of owned and intents: core, kind, name)."""
    owned_by: dict[str, set[Key]] = {}
    for core, kind, name, *_ in owned:
        owned_by.setdefault(core, set()).add((ComponentKind(kind), name))
    intended: dict[str, set[Key]] = {}
    for core, kind, name, *_ in intents:
        intended.setdefault(core, set()).add((ComponentKind(kind), name))
    return Records(
        deployments={(d.core, d.pipeline): d for d in map(deployment, deployments)},
        owned={core: frozenset(keys) for core, keys in owned_by.items()},
        errors={(e.core, e.pipeline, e.stage): e for e in map(cell_error, errors)},
        intents={core: frozenset(keys) for core, keys in intended.items()},
    )
