"""Status reports (reconciler.decide.report): golden files, schema, and the no-churn digest."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.decide.declared.schemas import validator_for
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Observation, Reason, Runtime
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind, StepResult
from reconciler.decide.records import Stage
from reconciler.decide.report import Refusal, ReportInputs, content_digest, report_files
from reconciler.decide.rows import Inputs, rows
from tests.support.world import (
    BASE,
    INTERVAL,
    NOW,
    deployment,
    error,
    held,
    records,
    seen,
    specs,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "report"
MAIN, DETECT = specs("main"), specs("detect")


def run() -> Run:
    steps = (
        StepResult("create", "streams", "raw", Outcome.DONE),
        StepResult("create", "connectors", "in", Outcome.FAILED, "rejected", "port | in use"),
    )
    return Run(
        id="first-rollout",
        kind=RunKind.DEPLOY,
        state=RequestState.FAILED,
        commit="c0ffee" * 6 + "c0ff",
        author="Ann Operator <ann@example.net>",
        requested_at=NOW - timedelta(minutes=30),
        reason="first rollout",
        plan_digest="sha256:" + "ab" * 32,
        cores=(
            CoreOutcome("edge-1", Outcome.FAILED, steps, "rejected", "1 of 2 operations failed"),
            CoreOutcome("edge-2", Outcome.DONE),
        ),
        started_at=NOW - timedelta(minutes=29),
        finished_at=NOW - timedelta(minutes=28),
    )


def inputs(now_offset: timedelta = timedelta(0), edge_2_running: bool = False) -> ReportInputs:
    now = NOW + now_offset
    recs = records(
        deployment("edge-1", "main"),
        deployment("edge-1", "detect"),
        deployment("edge-2", "detect"),
        errors=[error("edge-1", "detect", Stage.DEPLOY)],
    )
    edge_1 = {**held(MAIN, Runtime.RUNNING), **held(DETECT, Runtime.FAILED, pipelines=["detect"])}
    edge_2_state = Runtime.RUNNING if edge_2_running else Runtime.STOPPED
    observations = {
        "edge-1": seen("edge-1", edge_1, last_seen=now),
        "edge-2": Observation(
            "edge-2",
            reachable=False,
            attempted_at=now,
            last_seen=NOW - timedelta(minutes=10),
            components=held(DETECT, edge_2_state, pipelines=["detect"]),
            version="refcore-0.1.0",
            reason=Reason.TIMEOUT,
            message="no answer within 3 s",
        ),
    }
    found = rows(Inputs(BASE, recs, observations, now, INTERVAL))
    return ReportInputs(
        revision="deadbeef" * 5,
        rows=found,
        cores=["edge-1", "edge-2"],
        observations=observations,
        now=now,
        interval=INTERVAL,
        unmanaged={"edge-1": [(ComponentKind.CONNECTOR, "hand-made")]},
        runs=[run()],
        refused=Refusal("feed" * 10, ("cores/x.yaml:3: Core 'x': url: must be a base URL",)),
    )


@pytest.mark.parametrize("name", ["README.md", "pipelines.json", "deployments/first-rollout.md"])
def test_golden_files(name: str, request: pytest.FixtureRequest) -> None:
    """The report renders exactly as the reviewed golden file."""
    rendered = report_files(inputs())[name]
    golden = GOLDEN / name
    if request.config.getoption("--update-goldens"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text()


def test_pipelines_json_matches_its_schema() -> None:
    """`pipelines.json` is valid against schemas/pipelines.schema.json."""
    document = json.loads(report_files(inputs())["pipelines.json"])
    errors = [e.message for e in validator_for("pipelines.schema.json").iter_errors(document)]
    assert errors == []


def test_run_record_matches_its_schema() -> None:
    """A run record is valid against schemas/run.schema.json."""
    document = json.loads(report_files(inputs())["deployments/first-rollout.json"])
    errors = [e.message for e in validator_for("run.schema.json").iter_errors(document)]
    assert errors == []


def test_time_alone_changes_no_content() -> None:
    """Later passes with nothing new change only volatile values: same digest, same README."""
    first, later = report_files(inputs()), report_files(inputs(timedelta(minutes=7)))
    assert first["pipelines.json"] != later["pipelines.json"]
    assert (
        json.loads(first["pipelines.json"])["content_digest"]
        == json.loads(later["pipelines.json"])["content_digest"]
    )
    assert first["README.md"] == later["README.md"]


def test_a_real_change_changes_the_digest() -> None:
    """A Core's last-known runtime changing is content: the digest moves."""
    before = json.loads(report_files(inputs())["pipelines.json"])
    after = json.loads(report_files(inputs(edge_2_running=True))["pipelines.json"])
    assert before["content_digest"] != after["content_digest"]
    assert content_digest(before) == before["content_digest"]
