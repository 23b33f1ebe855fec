"""Ownership that survives lost answers, and deletes that are believed only when true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.decide.components import OpKind
from reconciler.decide.outcomes import OutcomeReason, RequestState
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio


def row(world: World, pipeline: str) -> dict[str, object]:
    report = json.loads(world.origin_file("status/pipelines.json"))
    [found] = [r for r in report["pipelines"] if r["pipeline"] == pipeline]
    return found


async def deploy(world: World, marker: str) -> RequestState:
    world.deploy_marker(marker)
    world.push(marker)
    [run] = (await world.reconciler.run_pass()).runs
    return run.state


async def test_a_put_whose_answer_was_lost_is_owned_and_later_removed(tmp_path: Path) -> None:
    """The Core applied a PUT whose answer was cut; the next deploys own it and can remove it."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        world.cores["edge-1"].transport.cut = ("PUT", "/api/v1/connectors/web-out")
        assert await deploy(world, "first") is RequestState.FAILED
        assert "web-out" in await world.held("edge-1", "connectors")
        world.cores["edge-1"].transport.cut = None

        assert await deploy(world, "again") is RequestState.DONE
        world.assign("web", [])
        world.push("unassign web")
        assert await deploy(world, "remove") is RequestState.DONE

        assert await world.held("edge-1", "connectors") == {}
        assert await world.held("edge-1", "streams") == {}
        assert row(world, "web")["status"] == "No assigned Cores"


async def test_components_written_before_the_ledger_are_adopted(tmp_path: Path) -> None:
    """A new ledger (a lost state directory) finds this reconciler's components by their mark."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        assert await deploy(world, "first") is RequestState.DONE
        owned = (await world.reconciler.ledger.records()).owned["edge-1"]
        deleted = [(key, OpKind.DELETE) for key in owned]
        await world.reconciler.ledger.settle("edge-1", deleted, [], "forget")
        await world.reconciler.ledger.record_core("edge-1", [], ["web"])
        world.assign("web", [])
        world.push("unassign web")

        await world.reconciler.run_pass()
        assert row(world, "web")["status"] == "Pending deployment"
        assert "removal-pending" in row(world, "web")["tags"]  # type: ignore[operator]
        assert await deploy(world, "remove") is RequestState.DONE
        assert await world.held("edge-1", "connectors") == {}


async def test_a_delete_answered_404_while_listed_is_a_failure(tmp_path: Path) -> None:
    """A Core that answers 404 to a delete but still lists the component has not deleted it."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        assert await deploy(world, "first") is RequestState.DONE
        world.cores["edge-1"].recording.deletes_not_found = True
        world.assign("web", [])
        world.push("unassign web")

        world.deploy_marker("remove")
        world.push("remove")
        [run] = (await world.reconciler.run_pass()).runs

        assert run.state is RequestState.FAILED
        assert run.cores[0].reason is OutcomeReason.NOT_FOUND
        assert "still lists it" in (run.cores[0].message or "")
        assert row(world, "web")["status"] == "Pending deployment"
        assert "removal-pending" in row(world, "web")["tags"]  # type: ignore[operator]
        assert "web-in" in await world.held("edge-1", "connectors")
