"""What the repository-reading commands share: the declared state of a folder, and a readback.

I/O module (files, Git, Cores, the terminal).
"""

from __future__ import annotations

import sys
from pathlib import Path

import git

from reconciler.decide.model import DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.parse import parse_repository
from reconciler.errors import DeclarationError
from reconciler.shell.config import Config
from reconciler.shell.corepool import CorePool
from reconciler.shell.repofiles import read_folder


class Invalid(Exception):
    """The folder's declared state is invalid; its problems were printed already."""


def declared(repo: Path) -> DeclaredState:
    """The declared state of a working folder; prints every problem and raises `Invalid`."""
    try:
        return parse_repository(read_folder(repo))
    except DeclarationError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            f"{repo}: invalid: {len(error.problems)} problem(s); nothing was done", file=sys.stderr
        )
        raise Invalid from error


def revision_label(repo: Path) -> tuple[str, str]:
    """(revision, label): the HEAD commit of the folder's Git repository, if it is one."""
    try:
        found = git.Repo(repo, search_parent_directories=True)
        head = found.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return "working-tree", f"the working tree of {repo}"
    dirty = " with uncommitted changes" if found.is_dirty(untracked_files=True) else ""
    return head, f"{head[:12]}{dirty}"


async def readback(state: DeclaredState, config: Config) -> dict[str, Observation]:
    """One readback of every declared Core."""
    async with CorePool(config.environ, config.client) as pool:
        return await pool.readback_all(state.cores.values())
