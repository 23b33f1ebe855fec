"""`reconciler deploy-all [REPO] --reason TEXT`: write and commit a Deploy All marker.

The marker lands in `deploy/<id>.yaml` in one commit of its own; pushing it is the request.
Refused (exit 1) when the declared state at HEAD is invalid, since such a deploy would be refused.
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

from reconciler.cli import environment, repository
from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.model import NAME_PATTERN
from reconciler.errors import ConfigurationError, DeclarationError
from reconciler.shell.repo.files import read_revision


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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    repo = _repo(repository.folder(args))
    root = Path(str(repo.working_tree_dir))
    marker_id = args.marker_id or datetime.now(UTC).strftime("deploy-%Y%m%d-%H%M%S")
    _check(marker_id, args.expect_plan)
    path = root / "deploy" / f"{marker_id}.yaml"
    if path.exists():
        raise ConfigurationError(f"{path} exists already; choose another --id")
    try:
        parse_repository(read_revision(root, "HEAD"), tokens=environment.build(args).tokens)
    except DeclarationError as error:
        print(
            f"the declared state at HEAD is invalid ({len(error.problems)} problem(s)); "
            "run `reconciler validate` and fix it first"
        )
        return 1
    path.parent.mkdir(exist_ok=True)
    path.write_text(marker_text(args.reason, args.expect_plan), encoding="utf-8")
    relative = path.relative_to(root).as_posix()
    try:
        repo.git.add("--", relative)
        repo.git.commit("--quiet", "-m", f"Request Deploy All: {args.reason}", "--", relative)
    except git.GitCommandError as error:
        path.unlink()
        raise ConfigurationError(
            f"git commit in {root} failed: {str(error.stderr).strip()}"
        ) from error
    print(
        f"committed {repo.head.commit.hexsha[:12]} adding {relative}; push it to request the deploy"
    )
    return 0


def _repo(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise ConfigurationError(f"{path} is not a Git working clone") from error


def _check(marker_id: str, expect_plan: str | None) -> None:
    if not re.match(NAME_PATTERN, marker_id):
        raise ConfigurationError(
            f"--id {marker_id!r} is not a valid id (lowercase letters, digits, '_', '.', '-')"
        )
    if expect_plan is not None and not re.match(r"^sha256:[0-9a-f]{64}$", expect_plan):
        raise ConfigurationError("--expect-plan must be a digest printed by `reconciler plan`")


def marker_text(reason: str, expect_plan: str | None) -> str:
    """The marker document; the reason is quoted safely whatever it holds."""
    lines = ["apiVersion: reconciler/v1", "kind: DeployAll", f"reason: {json.dumps(reason)}"]
    if expect_plan:
        lines.append(f"expect_plan: {expect_plan}")
    return "\n".join(lines) + "\n"
