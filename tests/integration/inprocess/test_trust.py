"""The trust boundary (reconciler.decide.trust) in a pass: who is contacted with which token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.decide.observed import Reason
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio


def tokens_sent(world: World, core: str) -> set[str | None]:
    return {authorization for _method, _path, authorization in world.cores[core].seen}


def cores_in_report(world: World) -> dict[str, dict[str, object]]:
    report = json.loads(world.origin_file("status/pipelines.json"))
    return {core["name"]: core for core in report["cores"]}


async def test_a_core_pointed_elsewhere_is_not_contacted_until_a_deploy(tmp_path: Path) -> None:
    """A commit that points edge-1 at another host sends it nothing; a Deploy All then does."""
    async with World.open(tmp_path, ["edge-1", "elsewhere"]) as world:
        (world.work / "cores" / "elsewhere.yaml").unlink()
        world.push("only edge-1")
        await world.reconciler.run_pass()
        elsewhere = world.cores["elsewhere"]
        moved = world.cores["edge-1"].yaml().replace(world.cores["edge-1"].url, elsewhere.url)
        world.edit("cores/edge-1.yaml", moved)
        world.push("point edge-1 at another host")
        elsewhere.seen.clear()

        await world.reconciler.run_pass()
        await world.reconciler.refresh()

        assert elsewhere.seen == []
        shown = cores_in_report(world)["edge-1"]
        assert shown["reachable"] is False
        assert str(shown["problem"]).startswith(Reason.AWAITING_DEPLOY.value)
        world.deploy_marker("approve")
        world.push("deploy the move")
        [run] = (await world.reconciler.run_pass()).runs
        assert run.state.finished  # the other host refuses edge-1's token: the run fails there
        assert f"Bearer {world.cores['edge-1'].token}" in tokens_sent(world, "elsewhere")


async def test_a_new_core_waits_for_a_deploy(tmp_path: Path) -> None:
    """A Core added after the baseline is shown awaiting a Deploy All and is not read back."""
    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        edge_2 = (world.work / "cores" / "edge-2.yaml").read_text()
        (world.work / "cores" / "edge-2.yaml").unlink()
        world.push("without edge-2")
        await world.reconciler.run_pass()
        world.edit("cores/edge-2.yaml", edge_2)
        world.push("add edge-2")
        world.cores["edge-2"].seen.clear()

        await world.reconciler.run_pass()

        assert world.cores["edge-2"].seen == []
        assert cores_in_report(world)["edge-2"]["reachable"] is False


async def test_a_token_outside_the_policy_refuses_the_revision(tmp_path: Path) -> None:
    """A Core file naming the daemon's own secret is invalid: the last valid state stays."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        naming = (
            world.cores["edge-1"]
            .yaml()
            .replace(world.cores["edge-1"].variable, "RECONCILER_WEBHOOK_SECRET")
        )
        world.edit("cores/edge-1.yaml", naming)
        world.push("name the webhook secret")

        result = await world.reconciler.run_pass()

        report = json.loads(world.origin_file("status/pipelines.json"))
        assert report["refused"]["revision"] == result.head
        assert any(
            "RECONCILER_WEBHOOK_SECRET" in problem for problem in report["refused"]["problems"]
        )
        assert tokens_sent(world, "edge-1") == {f"Bearer {world.cores['edge-1'].token}"}
