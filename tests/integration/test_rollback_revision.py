"""A rollback marker's revision, checked against a real Git clone before anything deploys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from reconciler.decide.outcomes import RequestState, Run, RunKind
from reconciler.shell.repo.source import GitSource
from reconciler.shell.rollback import resolved
from tests.support.repos import commit_all, git, init_repo


def run(commit: str, revision: str) -> Run:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Run("rb", RunKind.DEPLOY, RequestState.CLAIMED, commit, "t", at, revision=revision)


def repo(tmp_path: Path) -> tuple[GitSource, str, str, str]:
    """main: first → marker; side: first → elsewhere."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_text("1")
    init_repo(work)
    first = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", "side")
    (work / "a.txt").write_text("side")
    elsewhere = commit_all(work, "side")
    git(work, "checkout", "-q", "main")
    (work / "a.txt").write_text("2")
    marker = commit_all(work, "marker")
    return GitSource(str(work), work / ".git"), first, marker, elsewhere


def test_an_ancestor_resolves_to_its_full_id(tmp_path: Path) -> None:
    """A prefix of an ancestor of the marker's commit becomes the full commit id."""
    source, first, marker, _elsewhere = repo(tmp_path)
    found, refusal = asyncio.run(resolved(source, run(marker, first[:9])))
    assert (found.revision, refusal) == (first, None)


def test_a_commit_off_the_marker_history_is_refused(tmp_path: Path) -> None:
    """A commit the marker's commit does not descend from is refused, naming both."""
    source, _first, marker, elsewhere = repo(tmp_path)
    _found, refusal = asyncio.run(resolved(source, run(marker, elsewhere)))
    assert refusal == (
        f"the marker's revision {elsewhere} is not an ancestor of its commit {marker[:12]} "
        "on the tracked branch; nothing was deployed"
    )


def test_an_unknown_revision_is_refused(tmp_path: Path) -> None:
    """A revision the clone does not hold is refused in one sentence."""
    source, _first, marker, _elsewhere = repo(tmp_path)
    _found, refusal = asyncio.run(resolved(source, run(marker, "0123456789")))
    assert refusal is not None
    assert refusal.startswith("the marker's revision 0123456789 is no commit of the repository")
