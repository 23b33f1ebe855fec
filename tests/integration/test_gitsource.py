"""The Git source against real repositories (reconciler.shell.repo.source)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.decide.declared.parse import parse_repository
from reconciler.errors import SourceUnavailable
from reconciler.resources import data_path
from reconciler.shell.repo.naming import Identity, local_path
from reconciler.shell.repo.source import GitSource
from tests.support.repos import commit_all, git, init_repo

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, Path]:
    """A bare origin holding the example repository, and a person's working clone of it."""
    seed = tmp_path / "seed"
    shutil.copytree(data_path("example-repo"), seed)
    init_repo(seed)
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    return bare, work


def source_for(bare: Path, tmp_path: Path) -> GitSource:
    return GitSource(str(bare), tmp_path / "state" / "source.git")


def test_fetch_follows_the_default_branch(origin: tuple[Path, Path], tmp_path: Path) -> None:
    """The first fetch clones; later fetches see new pushes."""
    bare, work = origin
    source = source_for(bare, tmp_path)
    first = source.fetch()
    assert source.branch == "main"
    (work / "deploy").mkdir()
    (work / "deploy" / "go.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: DeployAll\nreason: go\n"
    )
    pushed = commit_all(work, "deploy")
    git(work, "push", "-q", "origin", "main")
    assert source.fetch() == pushed
    [commit] = source.commits(first, pushed)
    assert [(c.status, c.path) for c in commit.changes] == [("A", "deploy/go.yaml")]
    assert commit.author == "Test <test@example.invalid>"


def test_declared_state_at_a_revision(origin: tuple[Path, Path], tmp_path: Path) -> None:
    """The clone reads the declared state at any fetched revision."""
    bare, _work = origin
    source = source_for(bare, tmp_path)
    head = source.fetch()
    assert "web-errors" in parse_repository(source.files(head)).pipelines


def test_commit_and_push_a_report(origin: tuple[Path, Path], tmp_path: Path) -> None:
    """Report files are committed on top of the head as the bot, without a checkout, and pushed."""
    bare, work = origin
    source = source_for(bare, tmp_path)
    head = source.fetch()
    commit = source.commit_files(
        head, {"status/README.md": "# hi\n"}, "reconciler: report", Identity(), NOW
    )
    assert source.push(commit)
    git(work, "pull", "-q")
    assert (work / "status" / "README.md").read_text() == "# hi\n"
    assert git(work, "log", "-1", "--format=%an <%ae>") == "reconciler <reconciler@localhost>"
    assert source.blob(commit, "status/README.md") == b"# hi\n"
    assert source.blob(commit, "status/none.md") is None


def test_rejected_push_is_reported(origin: tuple[Path, Path], tmp_path: Path) -> None:
    """When someone pushed meanwhile, the push is rejected, not forced."""
    bare, work = origin
    source = source_for(bare, tmp_path)
    head = source.fetch()
    (work / "NOTES.md").write_text("meanwhile\n")
    commit_all(work, "meanwhile")
    git(work, "push", "-q", "origin", "main")
    commit = source.commit_files(head, {"status/README.md": "# hi\n"}, "report", Identity(), NOW)
    assert source.push(commit) is False


def test_unreachable_source(tmp_path: Path) -> None:
    """A source that does not exist is a SourceUnavailable naming it."""
    source = GitSource(str(tmp_path / "nowhere.git"), tmp_path / "state" / "source.git", "main")
    with pytest.raises(SourceUnavailable, match=r"nowhere\.git"):
        source.fetch()


def test_rewritten_history_is_not_an_ancestor(origin: tuple[Path, Path], tmp_path: Path) -> None:
    """After a force-push the old head is no ancestor of the new one."""
    bare, work = origin
    source = source_for(bare, tmp_path)
    old = source.fetch()
    git(work, "commit", "-q", "--amend", "-m", "rewritten")
    git(work, "push", "-q", "--force", "origin", "main")
    new = source.fetch()
    assert not source.is_ancestor(old, new)


def test_local_path_detection(tmp_path: Path) -> None:
    """Existing folders are local sources; URLs and scp-style addresses are not."""
    assert local_path(str(tmp_path)) == tmp_path.resolve()
    assert local_path("https://example.net/repo.git") is None
    assert local_path("git@example.net:team/repo.git") is None
