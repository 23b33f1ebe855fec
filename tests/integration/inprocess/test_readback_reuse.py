"""A pass costs what changed: a Core read back within the readback interval is not read again.

The readback schedule keeps every Core's observation fresh; a pass for a new commit reuses it,
except for a Core a run of that pass touched, one awaiting its Deploy All, or one whose last
readback is older than the interval. A Deploy All reads back only the Cores it has work for.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.decide.outcomes import RequestState
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio

STREAMS = "registry/streams/streams.yaml"


def calls(world: World, core: str) -> int:
    return len(world.cores[core].seen)


def row(world: World, pipeline: str) -> dict[str, object]:
    report = json.loads(world.origin_file("status/pipelines.json"))
    [found] = [row for row in report["pipelines"] if row["pipeline"] == pipeline]
    return found


async def test_a_commit_pass_reuses_the_recent_readback(tmp_path: Path) -> None:
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        before = calls(world, "edge-1")
        world.edit("notes.txt", "a note\n")
        head = world.push("a note")

        result = await world.reconciler.run_pass()

        assert calls(world, "edge-1") == before
        assert result.revision == head
        assert json.loads(world.origin_file("status/pipelines.json"))["revision"] == head


async def test_a_readback_older_than_the_interval_is_made_again(tmp_path: Path) -> None:
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        world.reconciler.config = replace(world.reconciler.config, readback_interval=0)
        before = calls(world, "edge-1")
        world.edit("notes.txt", "a note\n")
        world.push("a note")

        await world.reconciler.run_pass()

        assert ("GET", "/api/v1/health") in [
            seen[:2] for seen in world.cores["edge-1"].seen[before:]
        ]


async def test_a_core_a_run_touched_is_read_back_for_the_report(tmp_path: Path) -> None:
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        world.deploy_marker("first")
        world.push("deploy")

        await world.reconciler.run_pass()

        assert row(world, "web")["status"] == "Ready to start"


async def test_a_deploy_all_reads_back_only_the_cores_it_has_work_for(tmp_path: Path) -> None:
    """A second Deploy All with nothing to do calls no Core; one changing a spec reads the
    Core back before it writes."""
    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        await world.reconciler.run_pass()
        world.deploy_marker("first")
        world.push("deploy")
        await world.reconciler.run_pass()
        before = {name: calls(world, name) for name in world.cores}

        world.deploy_marker("again")
        world.push("deploy again")
        [again] = (await world.reconciler.run_pass()).runs

        assert again.state is RequestState.DONE
        assert {name: calls(world, name) for name in world.cores} == before

        text = (
            (world.work / STREAMS).read_text().replace("backpressure: block", "backpressure: drop")
        )
        world.edit(STREAMS, text)
        world.deploy_marker("changed")
        world.push("drop on web-raw")
        [changed] = (await world.reconciler.run_pass()).runs

        assert changed.state is RequestState.DONE
        sent = [seen[:2] for seen in world.cores["edge-1"].seen[before["edge-1"] :]]
        assert sent.index(("GET", "/api/v1/health")) < sent.index(
            ("PUT", "/api/v1/streams/web-raw")
        )
        assert calls(world, "edge-2") == before["edge-2"]
        assert (await world.held("edge-1", "streams"))["web-raw"]["backpressure"] == "drop"
