"""What the repository-reading commands share: the declared state of a folder, and a readback.

I/O module (files, Git, Cores, the terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.cli import environment
from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.model import DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.records import Records, records_from_metadata
from reconciler.errors import DeclarationError
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.sqlite import Ledger
from reconciler.shell.repo.files import read_folder


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


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A folder's declared state, one readback of its Cores, and what was deployed on them."""

    repo: Path
    state: DeclaredState
    config: Config
    observations: dict[str, Observation]
    records: Records


def snapshot(args: argparse.Namespace) -> Snapshot:
    """Read `args.repo` and every Core it declares; deployed state from the components'
    metadata, or from the daemon's ledger when `args.state_dir` is given."""
    repo = Path(args.repo)
    state = declared(repo)
    config = environment.build(args)
    observations = asyncio.run(readback(state, config))
    if args.state_dir and config.state_dir is not None:
        ledger = Ledger.open(config.state_dir)
        try:
            records = ledger.records()
        finally:
            ledger.close()
    else:
        records = records_from_metadata(observations)
    return Snapshot(repo, state, config, observations, records)
