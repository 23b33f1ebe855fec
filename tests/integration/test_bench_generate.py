"""The benchmark generators (bench.generate, bench.world): shape, counts, validity, the fleet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from bench.floor import parse
from bench.generate import (
    FleetProcess,
    Shape,
    cores_of,
    documents,
    files,
    marker,
    offline_cores,
    task_query,
    write,
)
from bench.watch import writes_window
from bench.world import World
from tests.support.daemon import base_env

SCRIPT = str(Path(sys.executable).parent / "reconciler")
SHAPE = Shape(pipelines=23, cores=7)


def validate(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=base_env(),
    )


@pytest.mark.parametrize("one_per_object", [False, True])
def test_the_repository_has_every_object_once(one_per_object: bool) -> None:
    """Seven documents per pipeline, one per Core, the settings; ten pipelines per grouped file."""
    shape = Shape(SHAPE.pipelines, SHAPE.cores, one_per_object=one_per_object)
    texts = files(shape, offline_cores(shape.cores))
    found = list(documents(texts))
    assert len(found) == 7 * shape.pipelines + shape.cores + 1
    kinds = [yaml.safe_load(text)["kind"] for text in found]
    assert kinds.count("Pipeline") == kinds.count("Assignment") == shape.pipelines
    assert kinds.count("Core") == shape.cores
    grouped_files = 5 * 3 + shape.cores + 1  # 23 pipelines: 3 files per kind folder
    assert len(texts) == (len(found) if one_per_object else grouped_files)


@pytest.mark.parametrize("one_per_object", [False, True])
def test_reconciler_validate_accepts_it(tmp_path: Path, one_per_object: bool) -> None:
    """`reconciler validate` finds the repository valid, with every pipeline assigned."""
    shape = Shape(SHAPE.pipelines, SHAPE.cores, one_per_object=one_per_object)
    write(tmp_path, files(shape, offline_cores(shape.cores)))
    done = validate(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid: 7 Core(s), 23 pipeline(s) (23 assigned)" in done.stdout


def test_the_libyaml_floor_parses_the_same_documents(tmp_path: Path) -> None:
    """The parse floor reads every document the reconciler validates, and no others."""
    texts = files(SHAPE, offline_cores(SHAPE.cores))
    write(tmp_path, texts)
    assert parse(tmp_path) == len(list(documents(texts)))


def test_each_pipeline_selects_the_cores_of_its_group() -> None:
    """`cores_of` names the Cores whose group label the pipeline's selector names."""
    texts = files(SHAPE, offline_cores(SHAPE.cores))
    labels = {
        doc["name"]: doc["labels"]["group"]
        for doc in map(yaml.safe_load, documents(texts))
        if doc["kind"] == "Core"
    }
    selectors = {
        doc["pipeline"]: doc["selector"]["group"]
        for doc in map(yaml.safe_load, documents(texts))
        if doc["kind"] == "Assignment"
    }
    for index in range(SHAPE.pipelines):
        wanted = sorted(core for core, group in labels.items() if group == selectors[f"p{index}"])
        assert cores_of(index, SHAPE) == wanted
        assert wanted


def test_a_change_rewrites_one_file_and_a_marker_is_a_deploy_request(tmp_path: Path) -> None:
    """`World.change` touches one task's file only; the marker validates as a Deploy All."""
    world = World.create(tmp_path / "w", SHAPE)
    world.change(12)
    world.add_marker()
    status = world_git(world, "status", "--porcelain").splitlines()
    assert sorted(line.split()[-1] for line in status) == ["deploy/", "registry/tasks/p10-19.yaml"]
    assert task_query(1) in (world.work / "registry/tasks/p10-19.yaml").read_text()
    assert marker("bench-1")[0] == "deploy/bench-1.yaml"
    assert validate(world.work).returncode == 0


def test_a_push_reaches_the_bare_origin(tmp_path: Path) -> None:
    """The generated repository has a bare origin; a pushed commit is its head."""
    world = World.create(tmp_path / "w", SHAPE)
    world.change(0)
    pushed = world.push("change p0")
    assert world.head() == pushed


def world_git(world: World, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=world.work, capture_output=True, text=True, check=True
    ).stdout


def test_the_fleet_serves_each_core_with_its_token(tmp_path: Path) -> None:
    """A fleet of two: its manifest names both, each answers health with its own token only."""
    fleet = FleetProcess(tmp_path / "fleet", 2).start()
    try:
        cores = fleet.tokens()
        assert [name for name, _, _ in cores] == ["core-0000", "core-0001"]
        (_, first, token), (_, second, _) = cores
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{first}/api/v1/health", headers=auth).status_code == 200
        assert httpx.get(f"{second}/api/v1/streams", headers=auth).status_code == 401
    finally:
        fleet.stop()
    assert fleet.process is not None
    assert fleet.process.returncode is not None


def test_the_writes_window_is_read_from_the_access_log(tmp_path: Path) -> None:
    """First to last PUT, POST or DELETE after the offset; reads do not count."""
    fleet = FleetProcess(tmp_path, 1)
    lines = [
        ("10:00:00,000", "PUT /api/v1/streams/old"),
        ("10:00:01,250", "GET /api/v1/streams"),
        ("10:00:02,500", "PUT /api/v1/streams/a"),
        ("10:00:03,000", "POST /api/v1/tasks/t/start"),
        ("10:00:04,750", "DELETE /api/v1/tasks/t"),
        ("10:00:09,000", "GET /api/v1/health"),
    ]
    text = [
        f'2026-12-02 {t} INFO uvicorn.access 127.0.0.1:1 - "{r} HTTP/1.1" 200' for t, r in lines
    ]
    fleet.log_file.write_text(text[0] + "\n")
    offset = fleet.log_file.stat().st_size
    with fleet.log_file.open("a") as log:
        log.write("\n".join(text[1:]) + "\n")
    assert writes_window(fleet, offset) == (pytest.approx(2.25), 3)
