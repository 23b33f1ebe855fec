"""`reconciler deploy-all [REPO] --reason TEXT`: write and commit a Deploy All marker.

The marker lands in `deploy/<id>.yaml` in one commit of its own; pushing it is the request.
Refused (exit 1) when the declared state at HEAD is invalid, since such a deploy would be refused.
`--wait` pushes the commit itself (`cli.publishing`), since the daemon only ever sees pushed
commits, then waits for the request's outcome like `reconciler wait`. Without it nothing is
pushed: a person may still want to review or squash the commit. `reconciler rollback` writes
its marker through the same functions.
I/O module (files, Git, the terminal).
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git

from reconciler.cli import environment, publishing, repository, wait
from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.model import NAME_PATTERN
from reconciler.errors import ConfigurationError, DeclarationError
from reconciler.shell.repo.files import read_revision
from reconciler.shell.repo.reports import Clone


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "deploy-all",
        help="write and commit a Deploy All marker (push it to request the deploy)",
        description="Write deploy/<id>.yaml and commit it in REPO; pushing that commit asks the "
        "daemon to deploy the declared state at that commit to every Core.",
    )
    repository.add_folder(parser)
    parser.add_argument("--reason", required=True, help="why: shown in the deployment record")
    parser.add_argument("--id", dest="marker_id", help="marker id (default: deploy-<UTC time>)")
    parser.add_argument(
        "--expect-plan", metavar="DIGEST", help="refuse unless the plan has this digest"
    )
    add_wait(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    repo = open_clone(repository.folder(args))
    marker_id = args.marker_id or datetime.now(UTC).strftime("deploy-%Y%m%d-%H%M%S")
    check(marker_id, args.expect_plan)
    if not valid_at(repo, "HEAD", args):
        return 1
    text = marker_text(args.reason, args.expect_plan)
    commit_marker(repo, marker_id, text, f"Request Deploy All: {args.reason}")
    return finish(repo, marker_id, args)


def valid_at(repo: git.Repo, revision: str, args: argparse.Namespace) -> bool:
    """Whether the declared state at `revision` is valid; prints a sentence when it is not."""
    root = Path(str(repo.working_tree_dir))
    try:
        parse_repository(read_revision(root, revision), tokens=environment.build(args).tokens)
    except DeclarationError as error:
        print(
            f"the declared state at {revision} is invalid ({len(error.problems)} problem(s)); "
            f"run `reconciler validate --revision {revision}` and fix it first"
        )
        return False
    return True


def commit_marker(repo: git.Repo, marker_id: str, text: str, message: str) -> None:
    """Write `deploy/<marker_id>.yaml` and commit it alone; the file goes again on failure."""
    root = Path(str(repo.working_tree_dir))
    path = root / "deploy" / f"{marker_id}.yaml"
    if path.exists():
        raise ConfigurationError(f"{path} exists already; choose another --id")
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    relative = path.relative_to(root).as_posix()
    try:
        repo.git.add("--", relative)
        repo.git.commit("--quiet", "-m", message, "--", relative)
    except git.GitCommandError as error:
        path.unlink()
        raise ConfigurationError(
            f"git commit in {root} failed: {str(error.stderr).strip()}"
        ) from error
    print(f"committed {repo.head.commit.hexsha[:12]} adding {relative}", end="")


def finish(repo: git.Repo, marker_id: str, args: argparse.Namespace) -> int:
    """Without `--wait`, say to push; with it, push and wait for the request's outcome."""
    if not args.wait:
        print("; push it to request the deploy")
        return 0
    print()
    publishing.publish(repo)
    clone = Clone.open(Path(str(repo.working_tree_dir)))
    return wait.wait_for(clone, wait.target(clone, marker_id), args.timeout, args.poll_interval)


def add_wait(parser: argparse.ArgumentParser) -> None:
    """`--wait` (with `--timeout`, `--poll-interval`): push the marker commit, then wait for it."""
    parser.add_argument(
        "--wait",
        action="store_true",
        help="push the marker commit to the branch's upstream (rebasing onto it when the "
        "daemon's report commits came first), then wait as `reconciler wait` does: exit 0 "
        "done, 1 failed or refused, 124 timed out",
    )
    wait.add_timing(parser)


def open_clone(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise ConfigurationError(f"{path} is not a Git working clone") from error


def check(marker_id: str, expect_plan: str | None) -> None:
    if not re.match(NAME_PATTERN, marker_id):
        raise ConfigurationError(
            f"--id {marker_id!r} is not a valid id (lowercase letters, digits, '_', '.', '-')"
        )
    if expect_plan is not None and not re.match(r"^sha256:[0-9a-f]{64}$", expect_plan):
        raise ConfigurationError("--expect-plan must be a digest printed by `reconciler plan`")


def marker_text(reason: str, expect_plan: str | None, revision: str | None = None) -> str:
    """The marker document; the reason is quoted safely whatever it holds."""
    lines = ["apiVersion: reconciler/v1", "kind: DeployAll", f"reason: {json.dumps(reason)}"]
    if expect_plan:
        lines.append(f"expect_plan: {expect_plan}")
    if revision:
        lines.append(f"revision: {revision}")
    return "\n".join(lines) + "\n"
