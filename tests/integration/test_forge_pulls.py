"""The pull request watcher: heads fetched from the origin's pull request refs, planned, posted.

A real bare origin holds GitLab's `refs/merge-requests/N/head` and GitHub's `refs/pull/N/head`;
the host API is the fake of `tests.support.forgehost`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.decide.report import ReportInputs
from reconciler.decide.trust import TokenPolicy
from reconciler.shell.daemon.gitforge import HOSTS
from reconciler.shell.daemon.pulls import PullWatcher
from reconciler.shell.forge.client import ForgeClient
from reconciler.shell.forge.outbox import Outbox
from reconciler.shell.repo.source import GitSource
from tests.support.forgehost import ForgeHost
from tests.support.repos import VALIDATE_BASE, commit_all, git, init_repo

TOKEN = "pulls-token-never-shown"  # noqa: S105
REPO = "acme/pipelines"
NOTHING_DEPLOYED = ReportInputs(
    revision="0" * 40,
    rows=(),
    cores=(),
    observations={},
    now=datetime(2026, 1, 1, tzinfo=UTC),
    interval=timedelta(seconds=15),
)


@pytest.fixture(params=["gitlab", "github"])
def host(request: pytest.FixtureRequest) -> Iterator[ForgeHost]:
    started = ForgeHost.start(request.param, REPO, TOKEN)
    yield started
    started.stop()


def origin_with_a_pull(tmp_path: Path, ref: str, edit: str, text: str) -> tuple[Path, str]:
    """A bare origin whose pull request head (at `ref`) changes `edit` to `text`."""
    work = tmp_path / "work"
    shutil.copytree(VALIDATE_BASE, work)
    init_repo(work)
    git(work, "checkout", "-q", "-b", "change")
    (work / edit).write_text(text)
    sha = commit_all(work, "the change")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    git(work, "push", "-q", str(origin), f"HEAD:{ref}")
    return origin, sha


def watch_once(host: ForgeHost, origin: Path, state: Path) -> Outbox:
    api = HOSTS[host.kind]
    client = ForgeClient(api, host.url, REPO, TOKEN)
    outbox = Outbox(client, host.kind)
    source = GitSource(str(origin), state / "source.git", "main")
    source.fetch()
    watcher = PullWatcher(client, outbox, api, source, TokenPolicy())
    watcher.inputs = NOTHING_DEPLOYED

    async def go() -> None:
        await watcher.look_once()
        while outbox.state()["queued"]:
            await asyncio.sleep(await outbox.deliver_one())
        await client.close()

    asyncio.run(go())
    return outbox


def test_a_valid_head_is_planned(host: ForgeHost, tmp_path: Path) -> None:
    """The head at the host's pull ref is read, planned, and posted as status and comment."""
    ref = HOSTS[host.kind].pull_ref.format(number=5)
    assignment = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\ncores: [edge-2]\n"
    origin, sha = origin_with_a_pull(tmp_path, ref, "assignments/main.yaml", assignment)
    host.open_pull(5, sha, ["assignments/main.yaml"])
    watch_once(host, origin, tmp_path / "state")
    [status] = host.statuses_for(sha, "reconciler/plan")
    assert status["state"] == "success"
    assert "sha256:" in status["description"]
    [comment] = host.comments_on(5)
    assert comment["body"].startswith("<!-- reconciler:plan -->")
    assert f"pull request #5 at {sha[:12]}" in comment["body"]
    assert host.problems == []


def test_an_invalid_head_says_why(host: ForgeHost, tmp_path: Path) -> None:
    """A head whose declared state is invalid gets a failure status and its problems, as text."""
    ref = HOSTS[host.kind].pull_ref.format(number=6)
    broken = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: nowhere\ncores: ['<b>x</b>']\n"
    origin, sha = origin_with_a_pull(tmp_path, ref, "assignments/main.yaml", broken)
    host.open_pull(6, sha, ["assignments/main.yaml"])
    watch_once(host, origin, tmp_path / "state")
    [status] = host.statuses_for(sha, "reconciler/plan")
    assert status["state"] == ("failed" if host.kind == "gitlab" else "failure")
    assert status["description"].startswith("invalid: assignments/main.yaml")
    [comment] = host.comments_on(6)
    assert "is invalid" in comment["body"]
    assert "expect_plan" not in comment["body"]
    problem_lines = [line for line in comment["body"].splitlines() if "assignments/" in line]
    assert problem_lines
    assert all(line.startswith("    ") for line in problem_lines)  # code: never markup


def test_a_pull_not_touching_the_declared_state_is_left_alone(
    host: ForgeHost, tmp_path: Path
) -> None:
    """A pull request changing only documentation gets neither a status nor a comment."""
    ref = HOSTS[host.kind].pull_ref.format(number=7)
    origin, sha = origin_with_a_pull(tmp_path, ref, "NOTES.txt", "just words\n")
    host.open_pull(7, sha, ["NOTES.txt"])
    watch_once(host, origin, tmp_path / "state")
    assert host.statuses == []
    assert host.comments_on(7) == []
