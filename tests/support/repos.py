"""Small real repositories for tests: copy a case folder, overlay files, commit with real git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CASES = Path(__file__).resolve().parent.parent / "cases"
VALIDATE_BASE = CASES / "validate" / "base"


def overlay(base: Path, case: Path, target: Path) -> Path:
    """Copy `base` to `target`, then copy `case` over it; paths listed in `case/DELETE` go away."""
    shutil.copytree(base, target, symlinks=True)
    for source in sorted(case.rglob("*")):
        relative = source.relative_to(case)
        if source.is_dir() or relative.name in ("DELETE", "expected.txt"):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    deletions = case / "DELETE"
    if deletions.exists():
        for line in deletions.read_text().split():
            (target / line).unlink()
    return target


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; returns standard output."""
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args]
    done = subprocess.run(command, cwd=repo, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {repo}:\n{done.stderr}")
    return done.stdout.strip()


def init_repo(path: Path) -> Path:
    """Make `path` a git repository on branch main with everything in it committed."""
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "initial")
    return path


def commit_all(repo: Path, message: str) -> str:
    """Commit every change in `repo`; returns the new commit id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")
