"""Reading the declared state incrementally (shell.repo.states) from a real Git source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.decide.model import DeclaredState
from reconciler.errors import DeclarationError
from reconciler.resources import data_path
from reconciler.shell.repo.source import GitSource
from reconciler.shell.repo.states import StateReader
from tests.support.repos import commit_all, init_repo


class Reading:
    """A reader on a fresh copy of the example repository, counting what each read costs."""

    def __init__(self, root: Path) -> None:
        self.work = root / "work"
        shutil.copytree(data_path("example-repo"), self.work)
        init_repo(self.work)
        self.source = GitSource(str(self.work), root / "state" / "source.git")
        self.costs: list[tuple[int, int]] = []
        self.reader = StateReader(self.source, counted=lambda *cost: self.costs.append(cost))

    def commit(self, path: str, text: str) -> str:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        commit_all(self.work, f"edit {path}")
        return self.source.fetch()

    def read(self, revision: str) -> DeclaredState | DeclarationError:
        return self.reader.state_at(revision)


@pytest.fixture
def reading(tmp_path: Path) -> Reading:
    return Reading(tmp_path)


def test_first_read_parses_every_file(reading: Reading) -> None:
    """With nothing read before, the whole tree is read and parsed."""
    state = reading.read(reading.source.fetch())
    assert isinstance(state, DeclaredState)
    work = reading.work
    files = sum(
        1
        for path in work.rglob("*.yaml")
        if not any(part.startswith(".") for part in path.relative_to(work).parts)
    )
    assert reading.costs == [(files, 0)]


def test_one_changed_file_is_the_only_one_parsed_again(reading: Reading) -> None:
    """A commit changing one file parses that file; every other parse is reused."""
    before = reading.read(reading.source.fetch())
    head = reading.commit(
        "assignments/metrics-poll.yaml",
        "apiVersion: reconciler/v1\nkind: Assignment\npipeline: metrics-poll\ncores: [central-1]\n",
    )
    after = reading.read(head)
    assert isinstance(before, DeclaredState)
    assert isinstance(after, DeclaredState)
    assert after.assignments["metrics-poll"].cores == ("central-1",)
    assert after.pipelines == before.pipelines
    parsed, reused = reading.costs[-1]
    assert parsed == 1
    assert reused == reading.costs[0][0] - 1


def test_a_report_only_commit_reads_nothing(reading: Reading) -> None:
    """Commits that touch only the report folder reuse the state without reading a file."""
    before = reading.read(reading.source.fetch())
    head = reading.commit("status/README.md", "# report\n")
    assert reading.read(head) is before
    assert reading.costs[-1] == (0, 0)


def test_a_broken_reference_in_an_unchanged_file_is_still_found(reading: Reading) -> None:
    """Rules that span files run on the whole state, so a deletion breaks a reference elsewhere."""
    reading.read(reading.source.fetch())
    (reading.work / "registry" / "tasks" / "web.yaml").unlink()
    commit_all(reading.work, "drop the web task")
    state = reading.read(reading.source.fetch())
    assert isinstance(state, DeclarationError)
    assert any("web-errors-only" in str(problem) for problem in state.problems)
    assert reading.costs[-1][0] == 0


def test_a_tree_sharing_no_file_is_read_in_full(reading: Reading) -> None:
    """A revision that shares no blob with the one read before is read afresh."""
    reading.read(reading.source.fetch())
    for path in reading.work.iterdir():
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    core = "apiVersion: reconciler/v1\nkind: Core\nname: one\nurl: http://127.0.0.1:1\n"
    state = reading.read(reading.commit("cores/one.yaml", core + "token: {env: PADAS_TOKEN_T}\n"))
    assert isinstance(state, DeclaredState)
    assert list(state.cores) == ["one"]
    assert reading.costs[-1] == (1, 0)
