"""Report inputs for tests of the live pages: every kind of row, Core and run in one pass.

sample()            main Running on edge-1, its task `filter` changed by hand (drift);
                    detect deployed on edge-1 and edge-2; edge-2 unreachable (timeout);
                    an unmanaged connector on edge-1; a failed Deploy All and a Core Action
sample(HOSTILE)     the same, with `HOSTILE` in every free text a Core or a run can carry
"""

from __future__ import annotations

from datetime import timedelta

from reconciler.decide.components import OpKind
from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import Observation, Reason, Runtime
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind, StepResult
from reconciler.decide.report import ReportInputs
from reconciler.decide.rows import Inputs, rows
from tests.support.world import BASE, INTERVAL, NOW, deployment, held, records, seen, specs

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
REVISION = "feedc0de" * 5
MAIN, DETECT = specs("main"), specs("detect")


def runs(text: str = "first rollout") -> tuple[Run, ...]:
    steps = (
        StepResult(OpKind.CREATE, ComponentKind.STREAM, "raw", Outcome.DONE),
        StepResult(OpKind.CREATE, ComponentKind.CONNECTOR, "in", Outcome.FAILED, None, text),
    )
    deploy = Run(
        id="first-rollout",
        kind=RunKind.DEPLOY,
        state=RequestState.FAILED,
        commit="c0ffee" * 6 + "c0ff",
        author=f"Ann {text} <ann@example.net>",
        requested_at=NOW - timedelta(minutes=30),
        reason=text,
        plan_digest="sha256:" + "ab" * 32,
        cores=(
            CoreOutcome("edge-1", Outcome.FAILED, steps, None, text),
            CoreOutcome("edge-2", Outcome.DONE),
        ),
        note=text,
        started_at=NOW - timedelta(minutes=29),
        finished_at=NOW - timedelta(minutes=28),
    )
    start = Run(
        id="Start Now.yaml",
        kind=RunKind.ACTION,
        state=RequestState.DONE,
        commit="b0a710ad" * 5,
        author="Bo Operator <bo@example.net>",
        requested_at=NOW - timedelta(minutes=20),
        reason="start main",
        pipeline="main",
        action=ActionVerb.START,
        target_cores=("edge-1",),
        cores=(CoreOutcome("edge-1", Outcome.DONE),),
        finished_at=NOW - timedelta(minutes=19),
    )
    return (start, deploy)


def sample(text: str = "the core said no") -> ReportInputs:
    recs = records(
        deployment("edge-1", "main"), deployment("edge-1", "detect"), deployment("edge-2", "detect")
    )
    changed = {"filter": {"query": f'level = "{text}"'}}
    edge_1 = {
        **held(MAIN, Runtime.RUNNING, edits=changed),
        **held(DETECT, Runtime.STOPPED, pipelines=["detect"]),
    }
    observations = {
        "edge-1": seen("edge-1", edge_1),
        "edge-2": Observation(
            "edge-2",
            reachable=False,
            attempted_at=NOW,
            last_seen=NOW - timedelta(minutes=10),
            components=held(DETECT, pipelines=["detect"]),
            version=f"refcore {text}",
            reason=Reason.TIMEOUT,
            message=text,
        ),
    }
    return ReportInputs(
        revision=REVISION,
        rows=rows(Inputs(BASE, recs, observations, NOW, INTERVAL)),
        cores=["edge-1", "edge-2"],
        observations=observations,
        now=NOW,
        interval=INTERVAL,
        unmanaged={"edge-1": [(ComponentKind.CONNECTOR, "hand-made")]},
        runs=runs(text),
        records=recs,
    )
