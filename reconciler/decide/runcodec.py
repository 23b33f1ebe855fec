"""Runs to JSON and back, losslessly: how the ledger stores them. Pure module.

Enums are stored as their values and come back as the same members; a step's `step` is an
operation (`create`, `update`, `delete`) or an action verb (`start`, `stop`), never both.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from reconciler.decide.components import OpKind
from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.outcomes import (
    CoreOutcome,
    Outcome,
    OutcomeReason,
    RequestState,
    Run,
    RunKind,
    StepResult,
)

_TIMES = ("requested_at", "started_at", "finished_at")


class CorruptRun(ValueError):
    """A stored run that cannot be read back (its JSON was written by something else)."""


def dumps(run: Run) -> str:
    document = asdict(run)
    for key in _TIMES:
        document[key] = _iso(document[key])
    for core in document["cores"]:
        core["started_at"], core["finished_at"] = (
            _iso(core["started_at"]),
            _iso(core["finished_at"]),
        )
    return json.dumps(document, sort_keys=True)


def loads(text: str) -> Run:
    d: dict[str, Any] = json.loads(text)
    requested_at = _time(d["requested_at"])
    if requested_at is None:
        raise CorruptRun(f"run {d.get('id')!r} has no requested_at")
    return Run(
        id=d["id"],
        kind=RunKind(d["kind"]),
        state=RequestState(d["state"]),
        commit=d["commit"],
        author=d["author"],
        requested_at=requested_at,
        reason=d["reason"],
        plan_digest=d["plan_digest"],
        expect_plan=d["expect_plan"],
        pipeline=d["pipeline"],
        action=ActionVerb(d["action"]) if d["action"] else None,
        target_cores=tuple(d["target_cores"]),
        cores=tuple(_core(core) for core in d["cores"]),
        note=d["note"],
        revision=d.get("revision"),
        started_at=_time(d["started_at"]),
        finished_at=_time(d["finished_at"]),
    )


def _core(document: dict[str, Any]) -> CoreOutcome:
    return CoreOutcome(
        core=document["core"],
        outcome=Outcome(document["outcome"]),
        steps=tuple(_step(step) for step in document["steps"]),
        reason=_reason(document["reason"]),
        message=document["message"],
        started_at=_time(document["started_at"]),
        finished_at=_time(document["finished_at"]),
    )


def _step(document: dict[str, Any]) -> StepResult:
    step = document["step"]
    return StepResult(
        step=OpKind(step) if step in OpKind.__members__.values() else ActionVerb(step),
        kind=ComponentKind(document["kind"]),
        name=document["name"],
        outcome=Outcome(document["outcome"]),
        reason=_reason(document["reason"]),
        message=document["message"],
    )


def _reason(value: str | None) -> OutcomeReason | None:
    return OutcomeReason(value) if value else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
