"""`reconciler rollback [REPO] --to REV --reason TEXT`: a Deploy All of an older revision.

It writes `deploy/<id>.yaml` with `revision: <commit>` (REV as a full commit id) and commits it
like `deploy-all`; pushing it asks the daemon to deploy the declared state at REV, recorded as a
rollback. REV must be an ancestor of HEAD (the daemon checks the same against the marker's
commit on the tracked branch, and refuses anything else) and hold valid declared state.
The declared state at HEAD stays as it is: the report then says the rollback is in force, and
the next ordinary Deploy All deploys the head again. I/O module (files, Git, the terminal).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import git

from reconciler.cli import deployall, repository
from reconciler.errors import ConfigurationError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "rollback",
        help="write and commit a Deploy All of an older revision (push it to request it)",
        description="Write deploy/<id>.yaml naming `revision: REV` and commit it in REPO; "
        "pushing that commit asks the daemon to deploy the declared state at REV, an "
        "ancestor of HEAD, to every Core.",
    )
    repository.add_folder(parser)
    parser.add_argument("--to", required=True, metavar="REV", help="the older revision to deploy")
    parser.add_argument("--reason", required=True, help="why: shown in the deployment record")
    parser.add_argument("--id", dest="marker_id", help="marker id (default: rollback-<UTC time>)")
    parser.add_argument(
        "--expect-plan",
        metavar="DIGEST",
        help="refuse unless the plan has this digest (`reconciler plan --revision REV`)",
    )
    deployall.add_wait(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    repo = deployall.open_clone(repository.folder(args))
    marker_id = args.marker_id or datetime.now(UTC).strftime("rollback-%Y%m%d-%H%M%S")
    deployall.check(marker_id, args.expect_plan)
    revision = older(repo, args.to)
    if not deployall.valid_at(repo, revision, args):
        return 1
    text = deployall.marker_text(args.reason, args.expect_plan, revision)
    message = f"Request rollback to {revision[:12]}: {args.reason}"
    deployall.commit_marker(repo, marker_id, text, message)
    return deployall.finish(repo, marker_id, args)


def older(repo: git.Repo, rev: str) -> str:
    """The full id of `rev`, checked to be an ancestor of HEAD other than HEAD itself."""
    if rev.startswith("-"):
        raise ConfigurationError(f"--to {rev!r} is not a revision")
    try:
        found = repo.commit(rev)
    except (git.BadName, ValueError) as error:
        raise ConfigurationError(f"--to {rev!r} names no commit in {repo.working_dir}") from error
    head, commit = repo.head.commit, found.hexsha
    if commit == head.hexsha:
        raise ConfigurationError(
            f"--to {rev!r} is HEAD itself; `reconciler deploy-all` deploys the head"
        )
    if not repo.is_ancestor(found, head):
        raise ConfigurationError(
            f"--to {rev!r} ({commit[:12]}) is not an ancestor of HEAD; a rollback goes back "
            "along the branch's own history"
        )
    return str(commit)
