"""`reconciler history [PIPELINE] [--core C …]`: deploys and actions from the run records.

The records are read from the report on the branch REPO tracks, fetched first (as `wait` does;
`--no-fetch` reads what the clone has). Which pipelines a Deploy All concerned is read from the
declared state at the revision it deployed, from Git's objects (`decide.history`). Exit 0, or 2
for a usage error. I/O module (Git, the terminal).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.cli import environment, repository
from reconciler.decide import history, resolve
from reconciler.decide.declared.parse import parse_repository
from reconciler.errors import ReconcilerError
from reconciler.shell.repo.files import read_revision
from reconciler.shell.repo.reports import Clone


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "history",
        help="list Deploy All runs, rollbacks and Core Actions from the report's run records",
        description="List the requests of the report's run records, newest first: when, "
        "which request, what it did, the revision it deployed, how it ended and who asked.",
    )
    parser.add_argument("pipeline", nargs="?", help="only requests concerning this pipeline")
    parser.add_argument(
        "--core", action="append", default=[], metavar="NAME", help="only this Core; repeatable"
    )
    repository.add_folder(parser, positional=False)
    parser.add_argument(
        "--no-fetch", action="store_true", help="read the clone as it is, without git fetch"
    )
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or json"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clone = Clone.open(repository.folder(args))
    if not args.no_fetch:
        clone.fetch()
    tokens = environment.build(args).tokens
    root = Path(str(clone.repo.git_dir))

    @cache
    def assigned(revision: str) -> Mapping[str, Sequence[str]] | None:
        try:
            state = parse_repository(read_revision(root, revision), tokens=tokens)
        except ReconcilerError:
            return None
        return resolve.assignments(state)

    found = history.entries(clone.records(), args.pipeline, args.core, assigned)
    if args.format == "json":
        print(json.dumps(history.document(found), indent=2))
    elif found:
        print(history.text(found, args.core), end="")
    else:
        print(f"no run records in the report at {clone.ref} concern this")
    return 0
