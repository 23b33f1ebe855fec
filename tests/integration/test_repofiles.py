"""Reading a repository from a folder and from a Git revision (reconciler.shell.repo.files)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.decide.declared.documents import Limits
from reconciler.decide.declared.parse import RepoFile, parse_repository
from reconciler.errors import ConfigurationError, DeclarationError
from reconciler.resources import data_path
from reconciler.shell.repo import files as repofiles
from tests.support.repos import commit_all, git, init_repo

EXAMPLE = data_path("example-repo")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real Git repository holding a copy of the shipped example repository."""
    target = tmp_path / "repo"
    shutil.copytree(EXAMPLE, target)
    return init_repo(target)


def read_revision(root: Path, revision: str = "HEAD") -> list[RepoFile]:
    return repofiles.read_revision(root, revision)


def read_folder(root: Path, limits: Limits = Limits()) -> list[RepoFile]:
    return repofiles.read_folder(root, limits)


def problems_of(files: list[RepoFile]) -> list[str]:
    with pytest.raises(DeclarationError) as raised:
        parse_repository(files)
    return [str(problem) for problem in raised.value.problems]


def test_folder_and_commit_give_equal_models(repo: Path) -> None:
    """The declared state read from the folder equals the one read from the commit."""
    assert parse_repository(read_folder(repo)) == parse_repository(read_revision(repo))


def test_revision_is_read_without_checkout(repo: Path) -> None:
    """An older revision is read from the object database while the working tree moves on."""
    first = git(repo, "rev-parse", "HEAD")
    (repo / "assignments" / "metrics-poll.yaml").unlink()
    commit_all(repo, "drop an assignment")
    (repo / "cores" / "edge-us-1.yaml").unlink()

    old = parse_repository(read_revision(repo, first))
    new = parse_repository(read_revision(repo, "HEAD"))

    assert "metrics-poll" in old.assignments
    assert "metrics-poll" not in new.assignments
    assert "edge-us-1" in new.cores
    assert git(repo, "status", "--porcelain") == "D cores/edge-us-1.yaml"


def test_unknown_revision_is_a_configuration_error(repo: Path) -> None:
    """A revision that does not exist is named in one sentence."""
    with pytest.raises(ConfigurationError, match="revision 'no-such-rev' is not in"):
        read_revision(repo, "no-such-rev")


def test_folder_that_is_not_a_repository(tmp_path: Path) -> None:
    """Reading a revision of a plain folder says it is not a Git repository."""
    with pytest.raises(ConfigurationError, match="is not a Git repository"):
        read_revision(tmp_path)


@pytest.mark.parametrize("mode", ["folder", "git"])
def test_symlink_leaving_the_repository_is_refused(repo: Path, tmp_path: Path, mode: str) -> None:
    """A YAML symlink that points outside the repository is refused, in both readers."""
    outside = tmp_path / "secret.yaml"
    outside.write_text("apiVersion: reconciler/v1\nkind: Stream\nname: stolen\n")
    os.symlink(
        os.path.relpath(outside, repo / "registry" / "streams"),
        repo / "registry" / "streams" / "x.yaml",
    )
    commit_all(repo, "link out")
    files = read_folder(repo) if mode == "folder" else read_revision(repo)

    assert problems_of(files) == [
        "registry/streams/x.yaml:1: symlink leaves the repository; it is not read"
    ]


@pytest.mark.parametrize("mode", ["folder", "git"])
def test_symlink_inside_the_repository_is_followed(repo: Path, mode: str) -> None:
    """A YAML symlink to another file of the repository reads that file."""
    (repo / "shared").mkdir()
    (repo / "registry" / "streams" / "streams.yaml").rename(repo / "shared" / "streams.yaml.txt")
    os.symlink("../../shared/streams.yaml.txt", repo / "registry" / "streams" / "streams.yaml")
    commit_all(repo, "link in")
    files = read_folder(repo) if mode == "folder" else read_revision(repo)

    assert "raw-syslog" in parse_repository(files).streams


@pytest.mark.parametrize("mode", ["folder", "git"])
def test_symlinked_folders_are_refused(repo: Path, tmp_path: Path, mode: str) -> None:
    """Symlinked folders inside a known folder are refused rather than silently skipped."""
    os.symlink(str(tmp_path), repo / "cores" / "more")
    os.symlink("../registry", repo / "cores" / "registry-link")
    commit_all(repo, "folder links")
    files = read_folder(repo) if mode == "folder" else read_revision(repo)

    assert problems_of(files) == [
        "cores/more:1: symlink leaves the repository; it is not read",
        "cores/registry-link:1: symlink points to a folder; only links to files are read",
    ]


def test_oversized_file_is_not_read(repo: Path) -> None:
    """A file over the size limit is refused by its size, before its bytes are read."""
    big = repo / "registry" / "streams" / "big.yaml"
    big.write_bytes(b"# padding\n" * 200)
    files = read_folder(repo, Limits(max_file_bytes=1000))

    [refused] = [f for f in files if f.path == "registry/streams/big.yaml"]
    assert refused.data == b""
    assert problems_of(files) == [
        "registry/streams/big.yaml:1: file is larger than the 1000 byte limit"
    ]


def test_dot_folders_and_other_files_are_ignored(repo: Path) -> None:
    """`.github/` YAML, READMEs and the report folder are not input."""
    (repo / ".github").mkdir(exist_ok=True)
    (repo / ".github" / "ci.yaml").write_text("not: [valid")
    (repo / "status").mkdir()
    (repo / "status" / "junk.yaml").write_text("not: [valid")
    (repo / "notes.bin").write_bytes(b"\x00\x01")

    paths = {f.path for f in read_folder(repo)}

    assert ".github/ci.yaml" not in paths
    assert "notes.bin" not in paths
    parse_repository(read_folder(repo))


def test_binary_and_non_utf8_yaml_files(repo: Path) -> None:
    """A binary `.yaml` file and a non-UTF-8 one are each named with the reason."""
    (repo / "cores" / "blob.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (repo / "cores" / "latin.yaml").write_bytes(b"name: caf\xe9\n")

    assert problems_of(read_folder(repo)) == [
        "cores/blob.yaml:1: file is binary (it contains NUL bytes), not YAML",
        "cores/latin.yaml:1: file is not valid UTF-8 (byte 0xe9)",
    ]


def count_problems(files: list[RepoFile], limits: Limits) -> list[str]:
    with pytest.raises(DeclarationError) as raised:
        parse_repository(files, limits)
    return [str(problem) for problem in raised.value.problems]


def test_reconciler_yaml_raises_the_repository_limits_within_their_ceilings(repo: Path) -> None:
    """Too many files for the limits is one sentence naming the setting; the setting admits them."""
    count = len(read_folder(repo))
    tight = Limits(max_files=count - 1, max_total_bytes=1 << 20)
    assert count_problems(read_folder(repo), tight) == [
        f".:1: more than {count - 1} YAML files "
        "(`limits` in reconciler.yaml can raise it up to 1000000)"
    ]
    settings = repo / "reconciler.yaml"
    settings.write_text(
        "apiVersion: reconciler/v1\nkind: Settings\nlimits: {max_files: 100000}\n", encoding="utf-8"
    )
    assert parse_repository(read_folder(repo), tight).pipelines


def test_the_total_size_of_the_yaml_is_bounded_and_settable(repo: Path) -> None:
    """Bytes of YAML over the limit refuse the repository; a ceiling bounds the setting."""
    files = read_folder(repo)
    total = sum(len(f.data) for f in files)
    tight = Limits(max_total_bytes=total - 1)
    [problem] = count_problems(files, tight)
    assert problem.startswith(f".:1: more than {total - 1} bytes of YAML")
    (repo / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\nlimits: {max_total_bytes: 2000000000}\n",
        encoding="utf-8",
    )
    # above the ceiling: the setting is not applied, and the schema names it
    problems = count_problems(read_folder(repo), Limits())
    assert problems == [
        "reconciler.yaml:3: Settings: limits.max_total_bytes: must be at most 1073741824"
    ]


def test_a_repository_over_the_file_ceiling_is_not_read(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the reader's own bound no file is read, whatever reconciler.yaml says."""
    monkeypatch.setattr(repofiles, "_MAX_FILES", 3)
    files = read_folder(repo)
    assert files
    assert all(f.data == b"" and f.refused for f in files)
    [problem] = count_problems(files, Limits(max_files=3))
    assert problem.startswith(".:1: more than 3 YAML files")
