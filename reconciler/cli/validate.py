"""`reconciler validate [REPO] [--revision REV]`: check the declared state, print every problem.

Problems go to standard output as `path:line: message`, sorted; the summary goes to standard
error. I/O module (the terminal, through the repository readers).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli import environment, repository
from reconciler.decide.declared.layout import looks_like_repository, not_a_repository
from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.model import DeclaredState
from reconciler.errors import ConfigurationError, DeclarationError
from reconciler.shell.repo.files import read_folder, read_revision


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "validate",
        help="check the declared state of a repository",
        description="Check a repository's YAML against the repository format (the README's "
        '"The repository format"); exit 0 valid, 1 invalid, 2 when the folder is no '
        "reconciler repository or a flag is wrong.",
    )
    repository.add_folder(parser)
    parser.add_argument(
        "--revision",
        metavar="REV",
        help="read the declared state at this Git revision instead of the working tree",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = repository.folder(args)
    files = read_revision(root, args.revision) if args.revision else read_folder(root)
    if not looks_like_repository(f.path for f in files):
        where = f"{root} at {args.revision}" if args.revision else str(root)
        raise ConfigurationError(not_a_repository(where))
    try:
        state = parse_repository(files, tokens=environment.build(args).tokens)
    except DeclarationError as error:
        for problem in error.problems:
            print(problem)
        files_with_problems = len({problem.path for problem in error.problems})
        print(
            f"{root}: invalid: {len(error.problems)} problem(s) in {files_with_problems} file(s)",
            file=sys.stderr,
        )
        return 1
    print(f"{root}: valid: {summary(state)}")
    return 0


def summary(state: DeclaredState) -> str:
    """A one-line count of what the state declares."""
    assigned = sum(
        1
        for name in state.pipelines
        if (a := state.assignments.get(name)) and (a.cores or a.selector)
    )
    counts = [
        (len(state.cores), "Core(s)"),
        (len(state.pipelines), f"pipeline(s) ({assigned} assigned)"),
        (len(state.connectors), "connector(s)"),
        (len(state.tasks), "task(s)"),
        (len(state.queries), "query(ies)"),
        (len(state.streams), "stream(s)"),
    ]
    return ", ".join(f"{count} {what}" for count, what in counts)
