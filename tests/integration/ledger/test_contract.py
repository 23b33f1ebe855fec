"""The ledger contract (reconciler.shell.ledger.Ledger), the same tests for every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

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
    finished,
)
from reconciler.decide.records import Stage
from tests.integration.ledger.conftest import Opener
from tests.support.world import NOW, deployment, error, specs

pytestmark = pytest.mark.anyio


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


async def test_records_survive_reopening(open_ledger: Opener, tmp_path: Path) -> None:
    """Deployments, ownership, errors and progress written by one process are read by the next."""
    ledger = await open_ledger(tmp_path)
    main = deployment("edge-1", "main")
    await ledger.record_core("edge-1", [main], [])
    await ledger.settle("edge-1", [(spec.key, OpKind.CREATE) for spec in specs("main")], [], "r")
    await ledger.set_error(error("edge-1", "main", Stage.START))
    await ledger.set_last_processed("abc")
    await ledger.set_last_valid("def")
    await ledger.set_trusted_signers(["ann ssh-ed25519 AAAA"])
    await ledger.close()

    again = await open_ledger(tmp_path)
    records = await again.records()
    assert records.deployments[("edge-1", "main")] == main
    assert records.owned["edge-1"] == frozenset(spec.key for spec in specs("main"))
    assert records.error(("edge-1", "main"), Stage.START) == error("edge-1", "main", Stage.START)
    assert (await again.last_processed(), await again.last_valid()) == ("abc", "def")
    assert await again.trusted_signers() == ("ann ssh-ed25519 AAAA",)
    await again.close()


async def test_a_new_ledger_knows_nothing(open_ledger: Opener, tmp_path: Path) -> None:
    """Before the first pass: no progress, no signers, no records, no runs."""
    ledger = await open_ledger(tmp_path)
    assert (await ledger.last_processed(), await ledger.last_valid()) == (None, None)
    assert await ledger.trusted_signers() == ()
    snapshot = await ledger.snapshot()
    assert (snapshot.records.deployments, snapshot.records.owned, snapshot.recent) == ({}, {}, ())
    await ledger.close()


async def test_recording_a_core_replaces_and_removes(open_ledger: Opener, tmp_path: Path) -> None:
    """A Core's new deployments replace the old ones, removed pipelines go, deploy errors clear."""
    ledger = await open_ledger(tmp_path)
    both = [deployment("edge-1", "main"), deployment("edge-1", "detect")]
    await ledger.record_core("edge-1", both, [])
    await ledger.set_error(error("edge-1", "main", Stage.DEPLOY))
    await ledger.set_error(error("edge-1", "main", Stage.START))
    await ledger.record_core("edge-1", [deployment("edge-1", "main", revision="rev-2")], ["detect"])

    records = await ledger.records()
    assert set(records.deployments) == {("edge-1", "main")}
    assert records.deployments[("edge-1", "main")].revision == "rev-2"
    assert records.error(("edge-1", "main"), Stage.DEPLOY) is None
    assert records.error(("edge-1", "main"), Stage.START) is not None
    await ledger.close()


async def test_errors_are_replaced_and_cleared(open_ledger: Opener, tmp_path: Path) -> None:
    """A cell keeps its last error per stage, typed as it was set, until that stage succeeds."""
    ledger = await open_ledger(tmp_path)
    await ledger.set_error(error("edge-1", "main", Stage.START, OutcomeReason.TIMEOUT))
    await ledger.set_error(error("edge-1", "main", Stage.START, OutcomeReason.START_FAILED))
    found = (await ledger.records()).error(("edge-1", "main"), Stage.START)
    assert found is not None
    assert found.reason is OutcomeReason.START_FAILED
    await ledger.clear_error("edge-1", "main", Stage.START)
    assert (await ledger.records()).errors == {}
    await ledger.close()


async def test_disown_and_forget(open_ledger: Opener, tmp_path: Path) -> None:
    """Deleted components leave the inventory; a Core no longer declared is forgotten whole."""
    ledger = await open_ledger(tmp_path)
    key = (ComponentKind.STREAM, "raw")
    await ledger.settle("edge-1", [(key, OpKind.CREATE)], [], "r1")
    await ledger.settle("edge-2", [(key, OpKind.CREATE)], [], "r1")
    await ledger.settle("edge-1", [(key, OpKind.DELETE)], [], "r2")
    await ledger.record_core("edge-2", [deployment("edge-2", "detect")], [])
    await ledger.set_error(error("edge-2", "detect", Stage.START))
    await ledger.forget_core("edge-2")
    records = await ledger.records()
    assert (records.owned, records.deployments, records.errors) == ({}, {}, {})
    await ledger.close()


async def test_intents_are_settled_or_withdrawn(open_ledger: Opener, tmp_path: Path) -> None:
    """A Core's intents go in at once; done calls own or disown and end their intents; the
    calls never sent lose the intents this run recorded, but not one an earlier run left."""
    ledger = await open_ledger(tmp_path)
    raw, out, task, old, left = (
        (ComponentKind.STREAM, "raw"),
        (ComponentKind.STREAM, "out"),
        (ComponentKind.TASK, "filter"),
        (ComponentKind.STREAM, "old"),
        (ComponentKind.TASK, "left"),
    )
    await ledger.settle("edge-1", [(old, OpKind.CREATE)], [], "r0")
    await ledger.intend("edge-1", [(left, OpKind.CREATE)], "r0")  # a crash left it
    calls = [
        (raw, OpKind.CREATE),
        (old, OpKind.DELETE),
        (out, OpKind.UPDATE),
        (task, OpKind.CREATE),
        (left, OpKind.CREATE),
    ]
    await ledger.intend("edge-1", calls, "r1")
    assert (await ledger.records()).intents == {"edge-1": {raw, old, out, task, left}}

    # raw and old done, out failed (its answer may be lost), task and left never sent
    await ledger.settle("edge-1", calls[:2], [task, left], "r1")
    records = await ledger.records()
    assert records.owned == {"edge-1": {raw}}
    assert records.intents == {"edge-1": {out, left}}  # left: r0's, kept
    await ledger.close()


async def test_claim_is_exactly_once(open_ledger: Opener, tmp_path: Path) -> None:
    """A request id is claimed once; claiming it again changes nothing."""
    ledger = await open_ledger(tmp_path)
    assert await ledger.claim(run("first"))
    assert not await ledger.claim(replace(run("first"), reason="again"))
    found = await ledger.run("first")
    assert found is not None
    assert found.reason == "why"
    assert await ledger.run("never") is None
    await ledger.close()


async def test_unfinished_runs_come_back_in_request_order(
    open_ledger: Opener, tmp_path: Path
) -> None:
    """Claimed and running requests are what a restarted daemon resumes, oldest first."""
    ledger = await open_ledger(tmp_path)
    for name, minutes, state in [
        ("b", 2, RequestState.RUNNING),
        ("a", 1, RequestState.CLAIMED),
        ("c", 3, RequestState.DONE),
        ("d", 4, RequestState.SUPERSEDED),
    ]:
        await ledger.claim(run(name, minutes, state))
    assert [r.id for r in await ledger.unfinished()] == ["a", "b"]
    done = finished(run("a", 1), RequestState.DONE, NOW, "all good")
    await ledger.update(done)
    assert await ledger.run("a") == done
    assert [r.id for r in await ledger.unfinished()] == ["b"]
    assert [r.id for r in await ledger.recent(3)] == ["d", "c", "b"]
    await ledger.close()


async def test_runs_come_back_typed(open_ledger: Opener, tmp_path: Path) -> None:
    """A run's verb, steps and reasons come back as the same enum members they were stored as."""
    ledger = await open_ledger(tmp_path)
    step = StepResult(
        ActionVerb.STOP, ComponentKind.CONNECTOR, "in", Outcome.SKIPPED, OutcomeReason.SHARED
    )
    outcome = CoreOutcome("edge-1", Outcome.DONE, (step,), None, None, NOW, NOW)
    action = replace(run("act"), kind=RunKind.ACTION, action=ActionVerb.STOP, cores=(outcome,))
    await ledger.claim(action)
    found = await ledger.run("act")
    assert found == action
    assert found is not None
    assert found.action is ActionVerb.STOP
    assert found.cores[0].steps[0].step is ActionVerb.STOP
    assert found.cores[0].steps[0].reason is OutcomeReason.SHARED
    await ledger.close()


async def test_a_snapshot_is_records_and_recent_runs(open_ledger: Opener, tmp_path: Path) -> None:
    """One snapshot holds what separate reads of records and recent runs would."""
    ledger = await open_ledger(tmp_path)
    await ledger.record_core("edge-1", [deployment("edge-1", "main")], [])
    for name in ("x", "y", "z"):
        await ledger.claim(run(name, ord(name)))
    snapshot = await ledger.snapshot(recent=2)
    assert snapshot.records == await ledger.records()
    assert list(snapshot.recent) == await ledger.recent(2)
    await ledger.close()


async def test_two_openers_share_the_ledger(open_ledger: Opener, tmp_path: Path) -> None:
    """A command-line action records into the ledger while the daemon has it open."""
    daemon, command_line = await open_ledger(tmp_path), await open_ledger(tmp_path)
    await command_line.claim(run("from-cli"))
    await command_line.settle("edge-1", [((ComponentKind.STREAM, "raw"), OpKind.CREATE)], [], "r")
    assert await daemon.run("from-cli") is not None
    assert (await daemon.records()).owned == {"edge-1": frozenset({(ComponentKind.STREAM, "raw")})}
    await command_line.close()
    await daemon.close()


async def test_every_read_sees_every_write_before_it(open_ledger: Opener, tmp_path: Path) -> None:
    """Records are read again only when they changed (a pass where nothing was deployed does not
    decode the whole ledger again): every kind of write, by this opener or another, is seen by
    the next read, and an unchanged deployment is the same object as at the last read."""
    daemon, command_line = await open_ledger(tmp_path), await open_ledger(tmp_path)
    raw = (ComponentKind.STREAM, "raw")
    await daemon.record_core("edge-1", [deployment("edge-1", "main")], [])
    first = await daemon.snapshot()
    assert (await daemon.snapshot()).records == first.records
    writes = [
        (daemon, lambda ledger: ledger.record_core("edge-2", [deployment("edge-2", "main")], [])),
        (command_line, lambda ledger: ledger.set_error(error("edge-1", "main", Stage.START))),
        (daemon, lambda ledger: ledger.clear_error("edge-1", "main", Stage.START)),
        (command_line, lambda ledger: ledger.intend("edge-1", [(raw, OpKind.CREATE)], "r")),
        (daemon, lambda ledger: ledger.settle("edge-1", [(raw, OpKind.CREATE)], [], "r")),
        (command_line, lambda ledger: ledger.record_core("edge-1", [], ["main"])),
        (daemon, lambda ledger: ledger.forget_core("edge-2")),
    ]
    seen = [first.records]
    for writer, write in writes:
        await write(writer)
        records = (await daemon.snapshot()).records
        assert records == await command_line.records()  # the other opener read it afresh
        assert records != seen[-1]
        seen.append(records)
    cell = ("edge-1", "main")
    assert seen[1].deployments[cell] is first.records.deployments[cell]  # not decoded again
    assert [len(r.deployments) for r in seen] == [1, 2, 2, 2, 2, 2, 1, 0]
    await command_line.close()
    await daemon.close()


async def test_create_steps_keep_their_operation(open_ledger: Opener, tmp_path: Path) -> None:
    """A Deploy All step's operation comes back as an operation, not an action verb."""
    ledger = await open_ledger(tmp_path)
    step = StepResult(OpKind.CREATE, ComponentKind.STREAM, "raw", Outcome.DONE)
    deployed = replace(run("dep"), cores=(CoreOutcome("edge-1", Outcome.DONE, (step,)),))
    await ledger.claim(deployed)
    found = await ledger.run("dep")
    assert found is not None
    assert found.cores[0].steps[0].step is OpKind.CREATE
    await ledger.close()
