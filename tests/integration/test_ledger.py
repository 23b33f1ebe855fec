"""The SQLite ledger (reconciler.shell.ledger.sqlite), reopened the way a restarted daemon does."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from reconciler.decide import runcodec
from reconciler.decide.model import ComponentKind
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind, StepResult
from reconciler.decide.records import Stage
from reconciler.shell.ledger.sqlite import LAST_PROCESSED, Ledger
from tests.support.world import NOW, deployment, error, specs


def run(run_id: str, minutes: int = 0, state: RequestState = RequestState.CLAIMED) -> Run:
    return Run(
        run_id,
        RunKind.DEPLOY,
        state,
        "c" * 40,
        "Ann <a@x>",
        NOW + timedelta(minutes=minutes),
        "why",
    )


def test_records_survive_reopening(tmp_path: Path) -> None:
    """Deployments, ownership and errors written by one process are read by the next."""
    ledger = Ledger.open(tmp_path)
    main = deployment("edge-1", "main")
    ledger.record_core("edge-1", [main], [])
    for spec in specs("main"):
        ledger.own("edge-1", spec.key)
    ledger.set_error(error("edge-1", "main", Stage.START))
    ledger.put(LAST_PROCESSED, "abc")
    ledger.close()

    again = Ledger.open(tmp_path)
    records = again.records()
    assert records.deployments[("edge-1", "main")] == main
    assert records.owned["edge-1"] == frozenset(spec.key for spec in specs("main"))
    assert records.error(("edge-1", "main"), Stage.START) == error("edge-1", "main", Stage.START)
    assert again.get(LAST_PROCESSED) == "abc"


def test_recording_a_core_replaces_and_removes(tmp_path: Path) -> None:
    """A Core's new deployments replace the old ones, removed pipelines go, deploy errors clear."""
    ledger = Ledger.open(tmp_path)
    ledger.record_core("edge-1", [deployment("edge-1", "main"), deployment("edge-1", "detect")], [])
    ledger.set_error(error("edge-1", "main", Stage.DEPLOY))
    ledger.set_error(error("edge-1", "main", Stage.START))
    ledger.record_core("edge-1", [deployment("edge-1", "main", revision="rev-2")], ["detect"])

    records = ledger.records()
    assert set(records.deployments) == {("edge-1", "main")}
    assert records.deployments[("edge-1", "main")].revision == "rev-2"
    assert records.error(("edge-1", "main"), Stage.DEPLOY) is None
    assert records.error(("edge-1", "main"), Stage.START) is not None


def test_disown_and_forget(tmp_path: Path) -> None:
    """Deleted components leave the inventory; a Core no longer declared is forgotten whole."""
    ledger = Ledger.open(tmp_path)
    key = (ComponentKind.STREAM, "raw")
    ledger.own("edge-1", key)
    ledger.own("edge-2", key)
    ledger.disown("edge-1", key)
    ledger.record_core("edge-2", [deployment("edge-2", "detect")], [])
    ledger.forget_core("edge-2")
    records = ledger.records()
    assert records.owned == {}
    assert records.deployments == {}


def test_claim_is_exactly_once(tmp_path: Path) -> None:
    """A request id is claimed once; claiming it again changes nothing."""
    ledger = Ledger.open(tmp_path)
    assert ledger.claim(run("first"))
    assert not ledger.claim(replace(run("first"), reason="again"))
    found = ledger.run("first")
    assert found is not None
    assert found.reason == "why"


def test_unfinished_runs_come_back_in_request_order(tmp_path: Path) -> None:
    """Claimed and running requests are what a restarted daemon resumes, oldest first."""
    ledger = Ledger.open(tmp_path)
    for name, minutes, state in [
        ("b", 2, RequestState.RUNNING),
        ("a", 1, RequestState.CLAIMED),
        ("c", 3, RequestState.DONE),
        ("d", 4, RequestState.SUPERSEDED),
    ]:
        ledger.claim(run(name, minutes, state))
    assert [r.id for r in ledger.unfinished()] == ["a", "b"]
    done = ledger.finish(run("a", 1), RequestState.DONE, NOW, "all good")
    assert ledger.run("a") == done
    assert [r.id for r in ledger.recent(3)] == ["d", "c", "b"]


def test_run_codec_round_trip() -> None:
    """A run with Core outcomes and steps survives JSON unchanged."""
    full = replace(
        run("x"),
        plan_digest="sha256:" + "0" * 64,
        target_cores=("edge-1",),
        cores=(
            CoreOutcome(
                "edge-1",
                Outcome.FAILED,
                (StepResult("create", "streams", "raw", Outcome.DONE),),
                "rejected",
                "no",
                NOW,
                NOW + timedelta(seconds=2),
            ),
        ),
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=3),
    )
    assert runcodec.loads(runcodec.dumps(full)) == full


def test_two_connections_share_the_ledger(tmp_path: Path) -> None:
    """A command-line action may record into the ledger while the daemon has it open."""
    daemon, cli = Ledger.open(tmp_path), Ledger.open(tmp_path)
    cli.claim(run("from-cli"))
    assert daemon.run("from-cli") is not None
