"""`revision_label`: which commit a checkout is at, as `plan` and `status` name it (real git)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from reconciler.shell.workspace import revision_label, revision_of


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_folder_outside_git_is_its_working_tree(tmp_path: Path) -> None:
    assert revision_label(tmp_path) == ("working-tree", f"the working tree of {tmp_path}")
    assert revision_of(tmp_path) == "working-tree"


def test_a_checkout_is_its_head_and_says_when_it_has_uncommitted_changes(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "cores").mkdir()
    (tmp_path / "cores" / "a.yaml").write_text("kind: Core\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    head = git(tmp_path, "rev-parse", "HEAD")

    assert revision_label(tmp_path) == (head, head[:12])
    assert revision_label(tmp_path / "cores") == (head, head[:12])  # found from a subfolder
    (tmp_path / "cores" / "b.yaml").write_text("kind: Core\n")  # untracked counts
    assert revision_label(tmp_path) == (head, f"{head[:12]} with uncommitted changes")
    assert revision_of(tmp_path) == head


def test_a_repository_without_a_commit_is_its_working_tree(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert revision_label(tmp_path)[0] == "working-tree"
