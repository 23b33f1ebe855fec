"""Declared state from YAML text held in memory, for tests of the pure core."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.decide.declared.parse import RepoFile, parse_repository
from reconciler.decide.model import DeclaredState
from reconciler.resources import data_path


def parse_texts(files: Mapping[str, str]) -> DeclaredState:
    """Parse a repository given as {path: YAML text}."""
    return parse_repository(RepoFile(path, text.encode()) for path, text in files.items())


def example_texts() -> dict[str, str]:
    """The shipped example repository as {path: YAML text}, without what the reconciler
    ignores (the CI recipes in dot-folders)."""
    root = data_path("example-repo")
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*.yaml"))
        if not any(part.startswith(".") for part in path.relative_to(root).parts)
    }
