"""The report writer against real repositories (reconciler.shell.repo.reportwriter).

The report folder is regenerated: whatever else a push left in it goes, whatever differs from
the report is rewritten, and a pass that would change only volatile times makes no commit.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.decide.outcomes import RequestState, Run, RunKind
from reconciler.decide.report import ReportInputs, report_files
from reconciler.shell.repo.naming import Identity
from reconciler.shell.repo.reportwriter import write_report
from reconciler.shell.repo.source import GitSource
from tests.support.repos import commit_all, git, init_repo
from tests.support.world import INTERVAL, NOW

REPORT = ReportInputs(
    revision="ab" * 20,
    rows=(),
    cores=[],
    observations={},
    now=NOW,
    interval=INTERVAL,
    runs=(Run("first", RunKind.DEPLOY, RequestState.DONE, "cd" * 20, "Ann", NOW),),
)


class World:
    """A bare origin, a person's clone of it, and the daemon's source."""

    def __init__(self, root: Path) -> None:
        seed = root / "seed"
        seed.mkdir()
        (seed / "NOTES.md").write_text("notes\n")
        init_repo(seed)
        self.origin = root / "origin.git"
        git(root, "clone", "-q", "--bare", str(seed), str(self.origin))
        self.work = root / "work"
        git(root, "clone", "-q", str(self.origin), str(self.work))
        self.source = GitSource(str(self.origin), root / "state" / "source.git")

    def push(self, message: str) -> None:
        commit_all(self.work, message)
        git(self.work, "pull", "-q", "--rebase")
        git(self.work, "push", "-q", "origin", "HEAD:main")

    def write(self, inputs: ReportInputs = REPORT) -> str | None:
        commit, pushed = write_report(
            self.source, self.source.fetch(), "status", inputs, Identity()
        )
        assert commit is None or pushed
        return commit

    def listing(self) -> list[str]:
        return git(self.origin, "ls-tree", "-r", "--name-only", "main", "--", "status").split()


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_files_the_report_did_not_write_are_removed(world: World) -> None:
    """A forged record and a stray folder in the report folder are gone after a write."""
    world.write()
    (world.work / "status" / "deployments").mkdir(parents=True, exist_ok=True)
    git(world.work, "pull", "-q")
    (world.work / "status" / "deployments" / "forged.json").write_text("{}\n")
    (world.work / "status" / "extra" / "deep").mkdir(parents=True)
    (world.work / "status" / "extra" / "deep" / "x.md").write_text("# owned\n")
    world.push("forge")
    assert world.write() is not None
    assert sorted(world.listing()) == sorted(f"status/{path}" for path in report_files(REPORT))


def test_a_symlink_in_place_of_a_report_file_is_replaced(world: World) -> None:
    """A symlink is not the file the report writes, even when it points at the same text."""
    world.write()
    git(world.work, "pull", "-q")
    readme = world.work / "status" / "README.md"
    (world.work / "copy.md").write_text(readme.read_text())
    readme.unlink()
    os.symlink("../copy.md", readme)
    world.push("link")
    assert world.write() is not None
    mode = git(world.origin, "ls-tree", "main", "status/README.md").split()[0]
    assert mode == "100644"


def test_a_file_in_place_of_the_report_folder_is_replaced(world: World) -> None:
    """A file named like the report folder gives way to the folder."""
    (world.work / "status").write_text("not a folder\n")
    world.push("squat")
    assert world.write() is not None
    assert "status/README.md" in world.listing()


def test_a_forged_name_cannot_forge_the_commit_message(world: World) -> None:
    """A removed file whose name holds newlines is listed on one line of the message."""
    world.write()
    git(world.work, "pull", "-q")
    (world.work / "status" / "x\n\nDeploy-All: now").write_text("forged\n")
    world.push("forge a name")
    commit = world.write()
    assert commit is not None
    message = git(world.origin, "log", "-1", "--format=%B", commit)
    assert "\nDeploy-All" not in message
    assert "- status/x Deploy-All: now" in message
    kept = git(world.origin, "ls-tree", "-r", "-z", "--name-only", "main", "--", "status")
    assert "status/x\n\nDeploy-All: now" not in kept.split("\0")  # and the file is gone
    assert "status/README.md" in kept.split("\0")


def test_only_later_times_make_no_commit(world: World) -> None:
    """A write a few minutes later with nothing else new commits nothing."""
    world.write()
    assert world.write(replace(REPORT, now=NOW + timedelta(minutes=5))) is None


def test_an_edit_keeping_the_digest_is_rewritten(world: World) -> None:
    """`pipelines.json` edited by hand, its `content_digest` kept, is written again."""
    world.write()
    git(world.work, "pull", "-q")
    data = world.work / "status" / "pipelines.json"
    data.write_text(data.read_text().replace('"done"', '"failed"'))
    world.push("hand edit")
    assert world.write() is not None
    assert git(world.origin, "show", "main:status/pipelines.json") == (
        report_files(REPORT)["pipelines.json"].rstrip("\n")
    )
