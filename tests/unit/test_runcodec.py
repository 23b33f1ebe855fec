"""Runs to JSON and back (reconciler.decide.runcodec): lossless, enums included."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from reconciler.decide import runcodec
from reconciler.decide.components import OpKind
from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import Reason
from reconciler.decide.outcomes import (
    CoreOutcome,
    Outcome,
    OutcomeReason,
    RequestState,
    Run,
    RunKind,
    StepResult,
)
from tests.support.world import NOW

BASE = Run("x", RunKind.DEPLOY, RequestState.CLAIMED, "c" * 40, "Ann <a@x>", NOW, "why")


def test_a_deploy_with_outcomes_survives_json_unchanged() -> None:
    """A run with Core outcomes and steps comes back equal, field by field."""
    failed = StepResult(
        OpKind.CREATE, ComponentKind.CONNECTOR, "in", Outcome.FAILED, OutcomeReason.REJECTED, "no"
    )
    skipped = StepResult(
        OpKind.CREATE, ComponentKind.TASK, "t", Outcome.SKIPPED, OutcomeReason.EARLIER_FAILURE
    )
    full = replace(
        BASE,
        plan_digest="sha256:" + "0" * 64,
        target_cores=("edge-1",),
        cores=(
            CoreOutcome(
                "edge-1",
                Outcome.FAILED,
                (
                    StepResult(OpKind.CREATE, ComponentKind.STREAM, "raw", Outcome.DONE),
                    failed,
                    skipped,
                ),
                OutcomeReason.REJECTED,
                "no",
                NOW,
                NOW + timedelta(seconds=2),
            ),
        ),
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=3),
    )
    assert runcodec.loads(runcodec.dumps(full)) == full


@pytest.mark.parametrize("verb", list(ActionVerb))
def test_an_action_keeps_its_verb(verb: ActionVerb) -> None:
    """A Core Action's verb comes back as the `ActionVerb` member."""
    action = replace(BASE, kind=RunKind.ACTION, action=verb, pipeline="main")
    assert runcodec.loads(runcodec.dumps(action)).action is verb


def test_every_core_reason_is_an_outcome_reason() -> None:
    """A Core call's `Reason` always has an `OutcomeReason` of the same code."""
    assert {OutcomeReason.of(reason).value for reason in Reason} == {r.value for r in Reason}


def test_a_run_without_request_time_is_refused() -> None:
    """A stored run missing its request time is a `CorruptRun`, not a crash further on."""
    text = runcodec.dumps(BASE).replace(NOW.isoformat(), "")
    with pytest.raises(runcodec.CorruptRun):
        runcodec.loads(text)
