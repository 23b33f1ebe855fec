"""Rollback, history and wait through the command line, against real Cores and a real origin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory
from tests.support.fleet import SCRIPT, Fleet
from tests.support.repos import git

TASKS = "registry/tasks/tasks.yaml"


def task_query(fleet: Fleet, core: str) -> str:
    return str(fleet.components(core, "tasks")["web-errors-only"]["query"])


def start(fleet: Fleet, *args: str) -> subprocess.Popen[str]:
    """A reconciler command running in the background, as a person's second terminal."""
    return subprocess.Popen(
        [SCRIPT, *args],
        cwd=fleet.root,
        env=fleet.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def test_rollback_brings_back_the_older_revision(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Deploy A, deploy B, roll back to A: the Core holds A's specs, history shows all three,
    wait returns 0 and the report says a rollback is in force; a rollback to a commit the
    repository lacks is refused in one sentence, deploys nothing, and wait exits 1."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    revision_a = fleet.head()
    fleet.deploy_all("release A")
    fleet.once()
    query_a = task_query(fleet, "edge-1")
    tasks = (fleet.work / TASKS).read_text()
    fleet.edit(TASKS, tasks.replace("status >= 500", "status >= 400"))
    fleet.push("widen the errors")
    fleet.deploy_all("release B")
    fleet.once()
    assert task_query(fleet, "edge-1") != query_a

    git(fleet.work, "pull", "-q", "--rebase")
    fleet.reconciler("rollback", str(fleet.work), "--to", revision_a, "--reason", "B is noisy")
    fleet.push_only()
    waiting = start(fleet, "wait", str(fleet.work), "--poll-interval", "0.2", "--timeout", "120")
    fleet.once()
    code, said = finish(waiting)

    assert code == 0, said
    assert "done" in said
    assert task_query(fleet, "edge-1") == query_a
    entries = json.loads(
        fleet.reconciler("history", "web", "--repo", str(fleet.work), "--format", "json").stdout
    )
    assert [(e["what"].split()[0], e["state"]) for e in entries] == [
        ("Rollback", "done"),
        ("Deploy", "done"),
        ("Deploy", "done"),
    ]
    assert entries[0]["revision"] == revision_a
    assert entries[0]["rollback"] is True
    text = fleet.reconciler("history", "--repo", str(fleet.work)).stdout
    assert f"Rollback to {revision_a[:12]}" in text
    report = fleet.report()
    assert report["rollback"]["revision"] == revision_a
    assert "Rolled back." in fleet.origin_file("status/README.md")
    assert fleet.row("web")["status"] == "Pending deployment"

    git(fleet.work, "pull", "-q", "--rebase")
    marker = "apiVersion: reconciler/v1\nkind: DeployAll\nreason: back\nrevision: deadbeef00\n"
    fleet.edit("deploy/nowhere.yaml", marker)
    fleet.push("roll back to nowhere")
    fleet.once()
    refused = fleet.reconciler("wait", str(fleet.work), "nowhere", "--timeout", "30", check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "the marker's revision deadbeef00 is no commit of the repository" in refused.stdout
    assert task_query(fleet, "edge-1") == query_a


def test_deploy_all_wait_pushes_and_waits(tmp_path: Path, core_factory: CoreFactory) -> None:
    """`deploy-all --wait` pushes its marker and exits 0 once the daemon's run is done."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    process = start(
        fleet,
        "deploy-all",
        str(fleet.work),
        "--reason",
        "go",
        "--id",
        "go-1",
        "--wait",
        "--poll-interval",
        "0.2",
    )
    wait_until(
        lambda: "deploy/go-1.yaml" in git(fleet.origin, "log", "--name-only", "main"),
        timeout=60,
        what="the marker pushed",
    )
    fleet.once()
    code, said = finish(process)
    assert code == 0, said
    assert "Deploy All go-1" in said
    assert set(fleet.components("edge-1", "tasks")) == {"web-errors-only"}


def test_wait_times_out_with_124(tmp_path: Path, core_factory: CoreFactory) -> None:
    """With no daemon to run it, a pushed request has no outcome: wait exits 124."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.deploy_all("nobody runs this")
    done = fleet.reconciler("wait", "--repo", str(fleet.work), "--timeout", "0.5", check=False)
    assert done.returncode == 124
    assert "has no final outcome after 0.5 s" in done.stdout
