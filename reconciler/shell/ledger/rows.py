"""Rows as both ledger backends store them, and the values they hold: one codec for both.

A deployment's components are JSON text, times ISO 8601 text, a run its `runcodec` document;
`run_problems` judges one stored run for `integrity`. Pure functions over rows; shell module
only because the ledger package is.

Every pass reads the records whole (50,000 deployments and 250,000 owned components at 10,000
pipelines on 500 Cores), and between two passes few rows change. A `Decoded` remembers the
deployments of the last read by their stored row, so an unchanged row is not decoded again and
stays the same object (the rows that are made again only where their inputs changed,
`decide.rowmemo`, compare by identity first). Within one read, a components text is decoded
once, however many Cores hold the same pipeline. The runs of the last read are kept by their
stored document the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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


def specs_of(components: str) -> tuple[ComponentSpec, ...]:
    """A deployment's components from their stored JSON text."""
    return tuple(
        ComponentSpec(ComponentKind(c["kind"]), c["name"], c["body"])
        for c in json.loads(components)
    )


def deployment(
    row: tuple[Any, ...], specs: Callable[[str], tuple[ComponentSpec, ...]]
) -> Deployment:
    core, pipeline, revision, deployed_at, request_id, components = row
    return Deployment(
        core, pipeline, specs(components), revision, datetime.fromisoformat(deployed_at), request_id
    )


class Decoded:
    """The deployments of the last read by their stored row, for the next read (see above).

    It holds only what the last read found, so it never grows past one ledger's records. A
    ledger keeps one and reads through it (`records`, `runs`); one per reader, not shared by
    threads.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple[Any, ...], Deployment] = {}
        self._runs: dict[str, Run] = {}

    def runs(self, documents: Iterable[str]) -> list[Run]:
        """The runs of these stored documents, reusing those decoded by the last call (the
        record of a Deploy All of 500 Cores is megabytes, and every report shows it)."""
        before: dict[str, Run] = self._runs
        now: dict[str, Run] = {}
        found = []
        for document in documents:
            run = now[document] = before.get(document) or runcodec.loads(document)
            found.append(run)
        self._runs = now
        return found

    def records(
        self,
        owned: Iterable[tuple[Any, ...]],
        deployments: Iterable[tuple[Any, ...]],
        errors: Iterable[tuple[Any, ...]],
        intents: Iterable[tuple[Any, ...]],
    ) -> Records:
        """`records_of` these rows, reusing the deployments decoded by the last call."""
        before: dict[tuple[Any, ...], Deployment] = self._rows
        now: dict[tuple[Any, ...], Deployment] = {}
        texts: dict[str, tuple[ComponentSpec, ...]] = {}

        def specs(text: str) -> tuple[ComponentSpec, ...]:
            found = texts.get(text)
            if found is None:
                found = texts[text] = specs_of(text)
            return found

        for stored in deployments:
            key = tuple(stored)
            found = before.get(key)
            now[key] = found if found is not None else deployment(key, specs)
        self._rows = now
        return _records(owned, now.values(), errors, intents)


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
    return Decoded().records(owned, deployments, errors, intents)


_KINDS = {kind.value: kind for kind in ComponentKind}


def _kind(stored: str) -> ComponentKind:
    """A stored kind, looked up (an unknown one raises `ValueError`, as the enum does)."""
    return _KINDS.get(stored) or ComponentKind(stored)


def _records(
    owned: Iterable[tuple[Any, ...]],
    deployments: Iterable[Deployment],
    errors: Iterable[tuple[Any, ...]],
    intents: Iterable[tuple[Any, ...]],
) -> Records:
    owned_by: dict[str, set[Key]] = {}
    for core, kind, name, *_ in owned:
        owned_by.setdefault(core, set()).add((_kind(kind), name))
    intended: dict[str, set[Key]] = {}
    for core, kind, name, *_ in intents:
        intended.setdefault(core, set()).add((_kind(kind), name))
    return Records(
        deployments={(d.core, d.pipeline): d for d in deployments},
        owned={core: frozenset(keys) for core, keys in owned_by.items()},
        errors={(e.core, e.pipeline, e.stage): e for e in map(cell_error, errors)},
        intents={core: frozenset(keys) for core, keys in intended.items()},
    )
