"""Request intake (reconciler.shell.intake) against a real Git source and a real ledger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.model import DeclaredState
from reconciler.decide.outcomes import RequestState, Run
from reconciler.errors import DeclarationError
from reconciler.shell import intake
from reconciler.shell.repo.files import read_folder
from reconciler.shell.repo.source import GitSource
from tests.support.inprocess import World
from tests.support.repos import commit_all, git

pytestmark = pytest.mark.anyio


async def take(world: World) -> tuple[Run, ...]:
    """Fetch, then take the requests up to the new head.

    The state judged is the one at the head, or an empty one when that is invalid (where the
    daemon would judge by the last valid one).
    """
    reconciler = world.reconciler
    head = await asyncio.to_thread(reconciler.source.fetch)
    state = await reconciler.state_at(head)
    judged = state if isinstance(state, DeclaredState) else DeclaredState()
    return await intake.take(
        reconciler.source, reconciler.ledger, reconciler.state_at, head, judged
    )


def marker(kind: str, marker_id: str | None = None) -> str:
    """The text of a DeployAll (`kind` "deploy") or a CoreAction starting `web`."""
    named = "" if marker_id is None else f"id: {marker_id}\n"
    head = f"apiVersion: reconciler/v1\n{named}"
    if kind == "deploy":
        return f"{head}kind: DeployAll\nreason: test\n"
    return f"{head}kind: CoreAction\naction: start\npipeline: web\n"


def force_push(world: World) -> str:
    """Force-push the clone's branch (a rewritten history) to the origin; the new head."""
    git(world.work, "push", "-q", "--force", "origin", "HEAD:main")
    return git(world.work, "rev-parse", "HEAD")


async def test_the_first_take_is_a_baseline(tmp_path: Path) -> None:
    """Markers already in history when intake first runs are never recorded."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.deploy_marker("old")
        head = world.push("an old marker")

        assert await take(world) == ()
        assert await world.reconciler.ledger.last_processed() == head
        assert await world.reconciler.ledger.unfinished() == []


async def test_a_new_marker_is_recorded_once(tmp_path: Path) -> None:
    """A marker pushed after the baseline is claimed once; taking again records nothing."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        world.deploy_marker("first")
        commit = world.push("deploy")

        [run] = await take(world)

        assert (run.id, run.state, run.commit) == ("first", RequestState.CLAIMED, commit)
        assert await take(world) == ()
        assert [r.id for r in await world.reconciler.ledger.unfinished()] == ["first"]


async def test_older_deploys_in_one_range_are_superseded(tmp_path: Path) -> None:
    """Two Deploy Alls pushed together: the newer is claimed, the older superseded, naming it."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        world.deploy_marker("one")
        git(world.work, "add", "-A")
        git(world.work, "commit", "-qm", "one")
        world.deploy_marker("two")
        world.push("two")

        found = {run.id: run for run in await take(world)}

        assert found["two"].state is RequestState.CLAIMED
        assert found["one"].state is RequestState.SUPERSEDED
        assert "two" in (found["one"].note or "")


async def test_an_id_used_by_another_commit_is_refused(tmp_path: Path) -> None:
    """A marker reusing a recorded id is refused under a distinct id, saying which commit has it."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        world.deploy_marker("same")
        first = world.push("first")
        await take(world)
        (world.work / "deploy" / "same.yaml").unlink()
        world.push("remove the marker")
        world.deploy_marker("same", "id: same\n")
        world.push("same id again")

        [run] = await take(world)

        assert run.state is RequestState.REFUSED
        assert run.id.startswith("same-")
        assert first[:12] in (run.note or "")


async def test_a_trailer_is_a_request(tmp_path: Path) -> None:
    """A commit message trailer `Deploy-All: reason` is a Deploy All request."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        git(world.work, "commit", "-q", "--allow-empty", "-m", "Roll out\n\nDeploy-All: friday")
        world.push("nothing else")

        [run] = await take(world)

        assert (run.reason, run.state) == ("friday", RequestState.CLAIMED)


async def test_markers_with_file_names_git_quotes_are_recorded(tmp_path: Path) -> None:
    """Accents, spaces, tabs and quotes in a marker's file name do not hide it from intake."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        world.edit("deploy/déploiement.yaml", marker("deploy", "deploiement"))
        world.edit("actions/démarrer.yaml", marker("action", "demarrer"))
        world.edit("deploy/two words.yaml", marker("deploy", "two-words"))
        world.edit('deploy/tab\tand "quotes".yaml', marker("deploy", "tab-and-quotes"))
        commit = world.push("markers with odd names")

        found = {run.id: run for run in await take(world)}

        assert sorted(found) == ["demarrer", "deploiement", "tab-and-quotes", "two-words"]
        assert {run.commit for run in found.values()} == {commit}
        assert found["demarrer"].state is RequestState.CLAIMED
        assert found["two-words"].state is RequestState.CLAIMED


async def test_a_file_name_that_is_no_id_is_refused_as_validate_reports(tmp_path: Path) -> None:
    """A marker whose file name is no valid id is recorded as refused, naming validate's problem."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        world.edit("deploy/déploiement.yaml", marker("deploy"))
        world.push("a marker without an id")
        with pytest.raises(DeclarationError) as invalid:
            parse_repository(read_folder(world.work))
        [problem] = [p for p in invalid.value.problems if p.path == "deploy/déploiement.yaml"]

        [run] = await take(world)

        assert run.state is RequestState.REFUSED
        assert run.id.startswith("deploiement-")
        assert str(problem) in (run.note or "")


async def test_a_force_pushed_marker_is_recorded(tmp_path: Path) -> None:
    """A rewritten history that adds a marker gets it claimed, with the commit that added it."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        base = git(world.origin, "rev-parse", "main")
        await take(world)
        world.deploy_marker("first")
        world.push("first")
        await take(world)
        git(world.work, "reset", "-q", "--hard", base)
        world.deploy_marker("second")
        added = commit_all(world.work, "second, on a rewritten history")
        force_push(world)

        [run] = await take(world)

        assert (run.id, run.state, run.commit) == ("second", RequestState.CLAIMED, added)


async def test_markers_the_old_tree_held_are_not_taken_again(tmp_path: Path) -> None:
    """An amended commit that re-adds a processed marker is history; only the new marker counts."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        world.deploy_marker("first")
        world.push("first")
        await take(world)
        git(world.work, "commit", "-q", "--amend", "-m", "first, reworded")
        world.deploy_marker("second")
        commit_all(world.work, "second")
        force_push(world)

        assert [run.id for run in await take(world)] == ["second"]


async def test_a_marker_no_new_commit_adds_is_refused_as_history_rewritten(
    tmp_path: Path,
) -> None:
    """A marker back at the head that no commit of the new history adds is refused, recorded."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.deploy_marker("old")
        base = world.push("an old marker, before the baseline")
        await take(world)
        (world.work / "deploy" / "old.yaml").unlink()
        world.push("remove it")
        await take(world)
        git(world.work, "reset", "-q", "--hard", base)
        world.edit("README.md", "rewritten\n")
        commit_all(world.work, "an unrelated change on a rewritten history")
        force_push(world)

        [run] = await take(world)

        assert (run.id, run.state) == ("old", RequestState.REFUSED)
        assert (run.note or "").startswith("history rewritten: ")


async def test_a_rebased_trailer_is_not_taken_again(tmp_path: Path) -> None:
    """A trailer commit amended (same author, time and reason) is the request already taken."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        await take(world)
        git(world.work, "commit", "-q", "--allow-empty", "-m", "Roll out\n\nDeploy-All: friday")
        world.push("nothing else")
        await take(world)
        git(world.work, "reset", "-q", "--hard", "HEAD~1")
        reworded = "Roll out, reworded\n\nDeploy-All: friday"
        git(world.work, "commit", "-q", "--amend", "--allow-empty", "-m", reworded)
        force_push(world)

        assert await take(world) == ()


async def test_a_new_trailer_on_rewritten_history_is_taken(tmp_path: Path) -> None:
    """A trailer commit of the new history that the old one did not carry is a request."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        base = git(world.origin, "rev-parse", "main")
        await take(world)
        git(world.work, "commit", "-q", "--allow-empty", "-m", "Old\n\nDeploy-All: friday")
        world.push("nothing else")
        await take(world)
        git(world.work, "reset", "-q", "--hard", base)
        git(world.work, "commit", "-q", "--allow-empty", "-m", "New\n\nDeploy-All: monday")
        force_push(world)

        [run] = await take(world)

        assert (run.reason, run.state) == ("monday", RequestState.CLAIMED)


async def test_a_reset_to_an_older_commit_brings_nothing_new(tmp_path: Path) -> None:
    """A branch forced back to a commit already seen records nothing."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.deploy_marker("old")
        base = world.push("an old marker")
        await take(world)
        (world.work / "deploy" / "old.yaml").unlink()
        world.push("remove it")
        await take(world)
        git(world.work, "reset", "-q", "--hard", base)
        force_push(world)

        assert await take(world) == ()


async def test_a_rewrite_whose_old_commit_is_gone_refuses_unrecorded_markers(
    tmp_path: Path,
) -> None:
    """With the last processed commit gone from the clone, unrecorded markers are refused."""
    async with World.open(tmp_path, ["edge-1"]) as world:
        world.deploy_marker("old")
        world.push("an old marker, before the baseline")
        await take(world)
        world.deploy_marker("first")
        world.push("first")
        await take(world)
        git(world.work, "commit", "-q", "--amend", "-m", "first, reworded")
        world.deploy_marker("second")
        commit_all(world.work, "second")
        force_push(world)
        world.reconciler.source = GitSource(str(world.origin), tmp_path / "fresh.git")
        world.reconciler.reader = None

        found = {run.id: run for run in await take(world)}

        assert sorted(found) == ["old", "second"]
        assert {run.state for run in found.values()} == {RequestState.REFUSED}
        assert "gone from the clone" in (found["second"].note or "")
