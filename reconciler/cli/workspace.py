"""The terminal side of the commands that read a checkout: problems printed, a snapshot taken.

The work itself is `reconciler.shell.workspace`. I/O module (the terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from reconciler.cli import environment, repository
from reconciler.cli.progress import Readback
from reconciler.cli.repository import Invalid
from reconciler.decide.model import DeclaredState
from reconciler.errors import DeclarationError
from reconciler.shell import workspace
from reconciler.shell.config import Config


def declared(repo: Path, config: Config) -> DeclaredState:
    """The declared state of a working folder; prints every problem and raises `Invalid`."""
    try:
        return workspace.declared(repo, config.tokens)
    except DeclarationError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            f"{repo}: invalid: {len(error.problems)} problem(s); nothing was done", file=sys.stderr
        )
        raise Invalid from error


def ledger_dir(args: argparse.Namespace, config: Config) -> Path | None:
    """The daemon's state directory, when `--state-dir` asks for its ledger."""
    return config.state_dir if args.state_dir else None


def snapshot(args: argparse.Namespace) -> tuple[workspace.Snapshot, Config]:
    """Read `--repo` and every Core it declares (see `reconciler.shell.workspace.snapshot`)."""
    repo = repository.folder(args)
    config = environment.build(args)
    state = declared(repo, config)
    progress = Readback(state.cores)
    try:
        found = workspace.snapshot(repo, state, config, ledger_dir(args, config), progress.done)
        taken = asyncio.run(found)
    finally:
        progress.close()
    print(f"deployed: from {taken.deployed_from}", file=sys.stderr)
    return taken, config
