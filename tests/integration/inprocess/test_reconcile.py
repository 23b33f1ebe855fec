"""The orchestrator (reconciler.shell.reconcile) in process: real Git, ledger and Core apps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.decide.components import OpKind
from reconciler.decide.model import ActionVerb
from reconciler.decide.outcomes import Outcome, RequestState, Run, RunKind
from reconciler.decide.rows import Status
from reconciler.shell.listeners import Judged, Observed, ReportPushed, RequestsRecorded, Rows
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio


def statuses(world: World) -> dict[str, str]:
    report = json.loads(world.origin_file("status/pipelines.json"))
    return {row["pipeline"]: row["status"] for row in report["pipelines"]}


async def test_first_pass_takes_the_head_as_baseline_and_reports(tmp_path: Path) -> None:
    """The first pass records nothing, deploys nothing, and pushes a report of what waits."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        result = await world.reconciler.run_pass()

        assert result.pushed
        assert result.runs == ()
        assert statuses(world) == {"alerts": "No assigned Cores", "web": "Pending deployment"}
        assert await world.held("edge-1", "connectors") == {}
        assert await world.reconciler.ledger.last_processed() == result.head


async def test_a_pushed_deploy_all_is_deployed_and_recorded(tmp_path: Path) -> None:
    """A Deploy All marker runs once: the Core holds the pipeline, stopped, and the row says so."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        world.deploy_marker("first")
        marker = world.push("deploy")

        result = await world.reconciler.run_pass()

        [run] = result.runs
        assert (run.id, run.state, run.commit) == ("first", RequestState.DONE, marker)
        assert [step.step for step in run.cores[0].steps] == [OpKind.CREATE] * 5
        held = await world.held("edge-1", "connectors")
        assert {name: body["state"] for name, body in held.items()} == {
            "web-in": "stopped",
            "web-out": "stopped",
        }
        assert statuses(world)["web"] == Status.READY_TO_START
        again = await world.reconciler.run_pass()
        assert again.runs == ()


async def test_an_action_marker_starts_the_pipeline(tmp_path: Path) -> None:
    """A Core Action marker after a deploy starts the pipeline on its Core: the row is Running."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        world.deploy_marker("first")
        world.push("deploy")
        await world.reconciler.run_pass()
        world.action_marker("go", "start", "web")
        world.push("start web")

        result = await world.reconciler.run_pass()

        [run] = result.runs
        assert (run.kind, run.action, run.state) == (
            RunKind.ACTION,
            ActionVerb.START,
            RequestState.DONE,
        )
        held = await world.held("edge-1", "tasks")
        assert held["web-errors-only"]["state"] == "running"
        assert statuses(world)["web"] == Status.RUNNING


async def test_listeners_hear_the_pass(tmp_path: Path) -> None:
    """A pass tells its listeners what it judged, read back, recorded and pushed."""
    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        await world.reconciler.run_pass()
        world.deploy_marker("first")
        world.push("deploy")
        result = await world.reconciler.run_pass()

        heard = world.heard
        assert [event.head for event in heard.of(Judged)][-1] == result.head
        assert {event.observation.core for event in heard.of(Observed)} == {"edge-1", "edge-2"}
        assert [run.id for event in heard.of(RequestsRecorded) for run in event.runs] == ["first"]
        assert heard.of(Rows)[-1].report.rows == result.rows
        assert heard.of(ReportPushed)[-1].commit == result.report_commit


async def test_a_request_whose_commit_is_gone_is_refused(tmp_path: Path) -> None:
    """An unfinished run at a commit the source no longer holds is refused, with the reason."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        at = datetime.now(UTC)
        lost = Run("lost", RunKind.DEPLOY, RequestState.CLAIMED, "0" * 40, "Ann", at, "why")
        await world.reconciler.ledger.claim(lost)

        result = await world.reconciler.run_pass()

        [run] = result.runs
        assert run.state is RequestState.REFUSED
        assert "not in the source" in (run.note or "")
        assert await world.reconciler.ledger.unfinished() == []


async def test_a_core_no_longer_declared_loses_its_client(tmp_path: Path) -> None:
    """The pool keeps clients only for the Cores a pass may talk to."""
    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        await world.reconciler.run_pass()
        assert world.reconciler.pool.connected() == ["edge-1", "edge-2"]
        (world.work / "cores" / "edge-2.yaml").unlink()
        world.push("drop edge-2")

        await world.reconciler.run_pass()

        assert world.reconciler.pool.connected() == ["edge-1"]


async def test_a_core_failure_is_an_outcome(tmp_path: Path) -> None:
    """A Core that refuses deploys fails its own part of the run; the other Core is deployed."""
    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        world.assign("web", ["edge-1", "edge-2"])
        world.push("web on both")
        await world.reconciler.run_pass()
        await world.cores["edge-2"].faults({"refuse_deploys": True})
        world.deploy_marker("first")
        world.push("deploy")

        [run] = (await world.reconciler.run_pass()).runs

        outcomes = {core.core: core.outcome for core in run.cores}
        assert outcomes == {"edge-1": Outcome.DONE, "edge-2": Outcome.FAILED}
        assert run.state is RequestState.FAILED
        assert "web-in" in await world.held("edge-1", "connectors")
        assert await world.held("edge-2", "connectors") == {}
