"""Core Actions (reconciler.shell.actions) in process, against real reference Core apps."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.decide.model import ActionVerb, DeclaredState
from reconciler.decide.outcomes import CoreOutcome, Outcome, OutcomeReason
from reconciler.decide.records import Stage
from reconciler.shell import actions, workspace
from reconciler.shell.clock import utc_now
from tests.integration.inprocess.test_deployer import deploy
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio
KAFKA_SINK = """apiVersion: reconciler/v1
kind: Connector
name: alerts-out
type: sink
class: kafka
stream: alerts
config: {bootstrap_servers: "localhost:9092", topic: alerts}
"""


async def act(
    world: World, verb: ActionVerb, pipeline: str, state: DeclaredState | None = None
) -> CoreOutcome:
    """One action on edge-1, judged against a fresh readback and the ledger's records."""
    state = state or workspace.declared(world.work, world.reconciler.config.tokens)
    reconciler = world.reconciler
    observations = await reconciler.readback(state.cores.values())
    records = await reconciler.ledger.records()
    job = actions.ActionJob(verb, pipeline, records, observations, utc_now, reconciler.ledger)
    [outcome] = await actions.act(job, ["edge-1"], reconciler.client_for(state))
    return outcome


async def states(world: World) -> dict[str, str]:
    held = {**await world.held("edge-1", "connectors"), **await world.held("edge-1", "tasks")}
    return {name: body["state"] for name, body in held.items()}


async def test_start_runs_sinks_tasks_then_the_source(tmp_path: Path) -> None:
    """Start calls the sink, the task, then the source, and each is running on the Core."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await deploy(world)

        outcome = await act(world, ActionVerb.START, "web")

        assert outcome.outcome is Outcome.DONE
        assert [(s.step, s.name) for s in outcome.steps] == [
            (ActionVerb.START, "web-out"),
            (ActionVerb.START, "web-errors-only"),
            (ActionVerb.START, "web-in"),
        ]
        assert set((await states(world)).values()) == {"running"}


async def test_stop_leaves_what_a_running_pipeline_uses(tmp_path: Path) -> None:
    """Stopping one of two pipelines sharing a source leaves the source running for the other."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.assign("alerts", ["edge-1"])
        await deploy(world)
        await act(world, ActionVerb.START, "web")
        await act(world, ActionVerb.START, "alerts")

        outcome = await act(world, ActionVerb.STOP, "web")

        skipped = [(s.name, s.reason) for s in outcome.steps if s.outcome is Outcome.SKIPPED]
        assert skipped == [("web-in", OutcomeReason.SHARED)]
        found = await states(world)
        assert (found["web-in"], found["web-out"], found["alerts-out"]) == (
            "running",
            "stopped",
            "running",
        )


async def test_start_is_refused_where_nothing_was_deployed(tmp_path: Path) -> None:
    """No deploy, no start: nothing is called, and the cell's start error says why."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        outcome = await act(world, ActionVerb.START, "web")

        assert (outcome.outcome, outcome.reason) == (Outcome.REFUSED, OutcomeReason.NOT_DEPLOYED)
        assert outcome.steps == ()
        error = (await world.reconciler.ledger.records()).error(("edge-1", "web"), Stage.START)
        assert error is not None
        assert error.reason is OutcomeReason.NOT_DEPLOYED


async def test_a_component_failing_on_start_fails_the_action(tmp_path: Path) -> None:
    """A sink the Core cannot run goes to `failed`; the action says so and records it."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.edit("registry/connectors/alerts-out.yaml", KAFKA_SINK)
        connectors = (world.work / "registry/connectors/connectors.yaml").read_text()
        kept = [doc for doc in connectors.split("---\n") if "name: alerts-out" not in doc]
        world.edit("registry/connectors/connectors.yaml", "---\n".join(kept))
        world.assign("alerts", ["edge-1"])
        await deploy(world)

        outcome = await act(world, ActionVerb.START, "alerts")

        assert (outcome.outcome, outcome.reason) == (Outcome.FAILED, OutcomeReason.START_FAILED)
        assert "alerts-out" in (outcome.message or "")
        error = (await world.reconciler.ledger.records()).error(("edge-1", "alerts"), Stage.START)
        assert error is not None
