"""The deployer (reconciler.shell.deployer) in process, against real reference Core apps."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from reconciler.decide.components import Key
from reconciler.decide.model import ActionVerb, ComponentKind, DeclaredState, Rollout
from reconciler.decide.outcomes import CoreOutcome, Outcome, OutcomeReason
from reconciler.decide.plan import CorePlan, plan
from reconciler.decide.records import Records, Stage
from reconciler.shell import deployer, intake, workspace
from reconciler.shell.clock import utc_now
from reconciler.shell.ledger import Call
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio


async def deploy(
    world: World, rollout: Rollout | None = None, stop: asyncio.Event | None = None
) -> tuple[DeclaredState, tuple[CoreOutcome, ...]]:
    """Plan the clone's declared state against a fresh readback and deploy it."""
    state = workspace.declared(world.work, world.reconciler.config.tokens)
    reconciler = world.reconciler
    observations = await reconciler.readback(state.cores.values(), approved=True)
    found = plan(state, await reconciler.ledger.records(), observations, "rev-1")
    job = deployer.Job(
        "run-1", "rev-1", rollout or state.settings.rollout, utc_now, stop or asyncio.Event()
    )
    plans = {core.core: core for core in found.cores}

    async def planned(core: str) -> CorePlan:
        return plans[core]

    outcomes = await deployer.deploy(
        list(plans), planned, reconciler.client_for(state), reconciler.ledger, job
    )
    await intake.trust(reconciler.ledger, state)  # as a pass does after a Deploy All
    return state, outcomes


async def test_each_success_is_recorded(tmp_path: Path) -> None:
    """Every component written is owned in the ledger, and the Core's deployments are recorded."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        _state, [outcome] = await deploy(world)

        assert outcome.outcome is Outcome.DONE
        records = await world.reconciler.ledger.records()
        assert {name for _kind, name in records.owned["edge-1"]} == {
            "web-raw",
            "web-errors",
            "web-out",
            "web-errors-only",
            "web-in",
        }
        assert records.deployments[("edge-1", "web")].revision == "rev-1"
        assert set(await world.held("edge-1", "streams")) == {"web-raw", "web-errors"}


async def test_a_permanent_failure_stops_the_core(tmp_path: Path) -> None:
    """The first refused operation fails the Core; the rest are skipped, and the cell says why."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.cores["edge-1"].faults(
            {"path_prefix": "/api/v1/connectors", "refuse_deploys": True}
        )

        _state, [outcome] = await deploy(world)

        assert outcome.outcome is Outcome.FAILED
        assert outcome.reason is OutcomeReason.REJECTED
        kinds = [(step.kind, step.outcome, step.reason) for step in outcome.steps]
        assert kinds[:3] == [
            (ComponentKind.STREAM, Outcome.DONE, None),
            (ComponentKind.STREAM, Outcome.DONE, None),
            (ComponentKind.CONNECTOR, Outcome.FAILED, OutcomeReason.REJECTED),
        ]
        assert {step.reason for step in outcome.steps[3:]} == {OutcomeReason.EARLIER_FAILURE}
        records = await world.reconciler.ledger.records()
        assert {kind for kind, _name in records.owned["edge-1"]} == {ComponentKind.STREAM}
        failed = outcome.steps[2]
        # the refused call keeps its intent (an answer may be lost); the skipped ones have none
        assert records.intents == {"edge-1": {(failed.kind, failed.name)}}
        error = records.error(("edge-1", "web"), Stage.DEPLOY)
        assert error is not None
        assert error.reason is OutcomeReason.REJECTED


async def test_the_rollout_stops_past_max_failed_cores(tmp_path: Path) -> None:
    """With `max_failed_cores: 0`, the Core after the first failed one is not started."""
    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        world.assign("web", ["edge-1", "edge-2"])
        for core in world.cores.values():
            await core.faults({"refuse_deploys": True})

        _state, outcomes = await deploy(world, Rollout(parallelism=1, max_failed_cores=0))

        assert [(o.outcome, o.reason) for o in outcomes] == [
            (Outcome.FAILED, OutcomeReason.REJECTED),
            (Outcome.SKIPPED, OutcomeReason.ROLLOUT_STOPPED),
        ]


async def test_a_shutdown_skips_what_is_left(tmp_path: Path) -> None:
    """A deploy told to stop changes nothing more and says the run resumes."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        stop = asyncio.Event()
        stop.set()

        _state, [outcome] = await deploy(world, stop=stop)

        assert (outcome.outcome, outcome.reason) == (Outcome.SKIPPED, OutcomeReason.SHUTDOWN)
        assert await world.held("edge-1", "streams") == {}
        assert (await world.reconciler.ledger.records()).intents == {}  # withdrawn, never sent


async def test_a_core_costs_two_ledger_writes_not_two_per_operation(tmp_path: Path) -> None:
    """All of a Core's intents go in one write before its first call, and are settled in one
    write after its last: the calls go out back to back. Every component ends owned."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        ledger = world.reconciler.ledger
        writes: list[tuple[str, int]] = []
        intend, settle = ledger.intend, ledger.settle

        async def intending(core: str, calls: Sequence[Call], run_id: str) -> None:
            writes.append(("intend", len(calls)))
            await intend(core, calls, run_id)

        async def settling(
            core: str, done: Sequence[Call], unsent: Sequence[Key], run_id: str
        ) -> None:
            writes.append(("settle", len(done)))
            await settle(core, done, unsent, run_id)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ledger, "intend", intending)
            patch.setattr(ledger, "settle", settling)
            _state, [outcome] = await deploy(world)

        assert len(outcome.steps) == 5
        assert writes == [("intend", 5), ("settle", 5)]
        records = await ledger.records()
        assert len(records.owned["edge-1"]) == 5
        assert records.intents == {}


async def test_a_running_component_is_stopped_before_it_is_deleted(tmp_path: Path) -> None:
    """Removing a running pipeline stops its components first, then deletes them all."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        state, _ = await deploy(world)
        client = world.reconciler.client_for(state)("edge-1")
        await client.act(ComponentKind.CONNECTOR, "web-in", ActionVerb.START)
        world.assign("web", [])

        _state, [outcome] = await deploy(world)

        assert outcome.outcome is Outcome.DONE
        assert [step.step.value for step in outcome.steps] == ["delete"] * 5
        assert await world.held("edge-1", "connectors") == {}
        assert (await world.reconciler.ledger.records()).owned.get(
            "edge-1", frozenset()
        ) == frozenset()


async def test_a_blocked_core_changes_nothing(tmp_path: Path) -> None:
    """A Core that could not be read back is failed with the readback's reason, untouched."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.edit(
            "cores/edge-1.yaml", world.cores["edge-1"].yaml().replace(".invalid", ".gone.invalid")
        )

        _state, [outcome] = await deploy(world)

        assert outcome.outcome is Outcome.FAILED
        assert outcome.reason is OutcomeReason.UNREACHABLE
        assert outcome.steps == ()


async def test_the_whole_ledger_is_read_once_per_run_not_once_per_core(tmp_path: Path) -> None:
    """Reading every record again for each Core made a Deploy All grow with the fleet squared.

    The pipeline removed from one Core is still found gone from the records read at the start.
    """
    async with World.open(tmp_path, ["edge-1", "edge-2", "edge-3"]) as world:
        ledger = world.reconciler.ledger
        reads = [0]
        records = ledger.records

        async def counted() -> Records:
            reads[0] += 1
            return await records()

        await deploy(world)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ledger, "records", counted)
            world.assign("web", ["edge-1", "edge-3"])
            _state, outcomes = await deploy(world)

        assert [o.outcome for o in outcomes] == [Outcome.DONE] * 3
        assert reads[0] == 2  # the test's own plan, and the deployer's one read
        assert ("edge-2", "web") not in (await ledger.records()).deployments
        assert ("edge-1", "web") in (await ledger.records()).deployments
