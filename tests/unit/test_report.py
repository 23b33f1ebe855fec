"""Status reports (reconciler.decide.report): golden files, schema, the no-churn digest, what
the report folder keeps, and what counts as an unchanged `pipelines.json`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.decide.declared.schemas import validator_for
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Observation, Reason, Runtime
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind, StepResult
from reconciler.decide.records import Stage
from reconciler.decide.report import RECORDS_KEPT, Refusal, ReportInputs, report_files
from reconciler.decide.reportjson import RECENT_SHOWN, content_digest, json_text, unchanged
from reconciler.decide.rows import Inputs, rows
from reconciler.decide.runview import record_name
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


def pipelines_json(offset: timedelta = timedelta(0)) -> str:
    return report_files(inputs(offset))["pipelines.json"]


def edited(change: Callable[[dict[str, Any]], object]) -> str:
    """The `pipelines.json` of a pass a minute ago, as a hand edit left it."""
    document = json.loads(pipelines_json(timedelta(minutes=-1)))
    change(document)
    return json_text(document)


def test_only_volatile_values_differ_is_unchanged() -> None:
    """A `pipelines.json` written a minute ago, untouched, needs no new commit."""
    assert unchanged(pipelines_json(timedelta(minutes=-1)), pipelines_json())


UNCHANGED_CASES: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
    ("status edited, digest kept", lambda d: d["pipelines"][0].update(status="Running")),
    ("digest edited alone", lambda d: d.update(content_digest="sha256:" + "0" * 64)),
    ("a request added", lambda d: d["requests"].append({**d["requests"][0], "id": "forged"})),
    ("a key added", lambda d: d.update(owner="mallory")),
    ("a core's version edited", lambda d: d["cores"][0].update(version="9.9.9")),
    ("a core removed", lambda d: d["cores"].pop()),
    ("generated_at made text", lambda d: d.update(generated_at="<script>")),
    ("generated_at in the future", lambda d: d.update(generated_at="2099-01-01T00:00:00+00:00")),
    ("generated_at without a zone", lambda d: d.update(generated_at="2026-11-28T11:00:00")),
    ("last_seen made text", lambda d: d["cores"][0].update(last_seen="yesterday")),
    ("unreachable last_seen edited", lambda d: d["cores"][1].update(last_seen=d["generated_at"])),
]


@pytest.mark.parametrize(
    "change", [case[1] for case in UNCHANGED_CASES], ids=[case[0] for case in UNCHANGED_CASES]
)
def test_a_hand_edit_is_a_change(change: Callable[[dict[str, Any]], object]) -> None:
    """An edit anywhere but a plausible volatile time makes the file changed (it is rewritten)."""
    assert not unchanged(edited(change), pipelines_json())


def test_the_rows_compared_as_text_must_be_where_the_report_writes_them() -> None:
    """The rows are compared as one block of text, unparsed: the same block moved, or there
    twice, is a change."""
    written, earlier = pipelines_json(), pipelines_json(timedelta(minutes=-1))
    start = earlier.index('\n  "pipelines": [\n')
    end = earlier.index("\n  ],\n", start) + len("\n  ],\n")
    block = earlier[start:end]
    assert block in written
    twice = earlier[:end] + block[1:] + earlier[end:]
    moved = earlier[:start] + "\n" + earlier[end:-2] + "," + block[:-2] + "\n}\n"
    for existing in (twice, moved):
        assert existing != earlier
        assert not unchanged(existing, written)
    assert unchanged(earlier, written)


@pytest.mark.parametrize(
    "existing",
    ["", "not json", "[]", '{"cores": 3}', json.dumps(json.loads(pipelines_json()))],
    ids=["empty", "not json", "a list", "cores not a list", "same content reformatted"],
)
def test_a_malformed_file_is_a_change(existing: str) -> None:
    """A file that is not exactly as the report writes it is rewritten."""
    assert not unchanged(existing, pipelines_json())


def numbered_runs(count: int) -> list[Run]:
    """`count` runs, newest first, as the ledger hands them over."""
    return [replace(run(), id=f"run-{number:03d}") for number in range(count, 0, -1)]


def test_records_of_the_newest_runs_are_kept() -> None:
    """The report keeps the records of the newest `RECORDS_KEPT` runs and no older ones."""
    files = report_files(replace(inputs(), runs=numbered_runs(RECORDS_KEPT + 5)))
    records = {path for path in files if path.startswith("deployments/")}
    assert len(records) == 2 * RECORDS_KEPT
    assert f"deployments/run-{RECORDS_KEPT + 5:03d}.json" in records
    assert "deployments/run-005.json" not in records


def test_readme_and_pipelines_json_list_the_newest_runs() -> None:
    """The "Recent requests" table and `requests` show the newest `RECENT_SHOWN` runs."""
    files = report_files(replace(inputs(), runs=numbered_runs(RECENT_SHOWN + 5)))
    listed = [line for line in files["README.md"].splitlines() if line.startswith("| [run-")]
    assert len(listed) == RECENT_SHOWN
    assert listed[0].startswith(f"| [run-{RECENT_SHOWN + 5:03d}]")
    assert len(json.loads(files["pipelines.json"])["requests"]) == RECENT_SHOWN


@pytest.mark.parametrize(
    ("run_id", "kept"),
    [
        ("first-rollout", True),
        ("first-rollout-c0ffee1", True),
        ("trailer-c0ffeec0ffee", True),
        ("cli-20261128-120000-start-web", True),
        ("../../etc/passwd", False),
        ("a/b", False),
        ("ok\n", False),
        ("Release 2", False),
        ("", False),
        ("x" * 64, False),
    ],
)
def test_record_names_come_from_valid_ids_only(run_id: str, kept: bool) -> None:
    """A valid id names its records; any other id becomes `run-<sha256 prefix>`."""
    name = record_name(run_id)
    assert (name == run_id) is kept
    if not kept:
        assert name.startswith("run-")
        assert len(name) == len("run-") + 16


def test_an_unsafe_id_is_linked_by_its_safe_name() -> None:
    """The README links a run with an unsafe id to the record the report writes for it."""
    files = report_files(replace(inputs(), runs=[replace(run(), id="../x\n# y")]))
    safe = record_name("../x\n# y")
    assert f"deployments/{safe}.md" in files
    assert f"](deployments/{safe}.md)" in files["README.md"]


def test_a_lone_surrogate_from_a_core_is_written_as_a_question_mark() -> None:
    """A Core version with a lone surrogate neither breaks the digest nor the file's UTF-8."""
    base = inputs()
    odd = replace(base.observations["edge-1"], version="v\ud800")
    document = json.loads(
        report_files(replace(base, observations={**base.observations, "edge-1": odd}))[
            "pipelines.json"
        ]
    )
    assert document["cores"][0]["version"] == "v?"


def test_a_rollback_in_force_is_said_and_valid() -> None:
    """A rollback as the newest Deploy All that deployed is named in the README and in a
    `pipelines.json` and run record that still match their schemas; a later deploy ends it."""
    rolled = replace(run(), id="back", state=RequestState.DONE, revision="a1" * 20)
    files = report_files(replace(inputs(), runs=[rolled, run()]))
    document = json.loads(files["pipelines.json"])
    assert document["rollback"]["revision"] == "a1" * 20
    assert "**Rolled back.** Deploy All `back`" in files["README.md"]
    assert "Rollback to a1a1a1a1a1a1" in files["deployments/back.md"]
    record = json.loads(files["deployments/back.json"])
    assert (record["rollback"], record["deployed_revision"]) == (True, "a1" * 20)
    assert list(validator_for("pipelines.schema.json").iter_errors(document)) == []
    assert list(validator_for("run.schema.json").iter_errors(record)) == []
    later = replace(run(), id="after", state=RequestState.DONE)
    assert "rollback" not in json.loads(
        report_files(replace(inputs(), runs=[later, rolled]))["pipelines.json"]
    )
