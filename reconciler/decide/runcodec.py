"""Runs to JSON and back, losslessly: how the ledger stores them. Pure module."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from reconciler.decide.outcomes import (
    CoreOutcome,
    Outcome,
    RequestState,
    Run,
    RunKind,
    StepResult,
)

_TIMES = ("requested_at", "started_at", "finished_at")


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
    assert requested_at is not None
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
        action=d["action"],
        target_cores=tuple(d["target_cores"]),
        cores=tuple(_core(core) for core in d["cores"]),
        note=d["note"],
        started_at=_time(d["started_at"]),
        finished_at=_time(d["finished_at"]),
    )


def _core(document: dict[str, Any]) -> CoreOutcome:
    steps = tuple(
        StepResult(**{**step, "outcome": Outcome(step["outcome"])}) for step in document["steps"]
    )
    return CoreOutcome(
        core=document["core"],
        outcome=Outcome(document["outcome"]),
        steps=steps,
        reason=document["reason"],
        message=document["message"],
        started_at=_time(document["started_at"]),
        finished_at=_time(document["finished_at"]),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
