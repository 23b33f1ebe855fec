"""Pushing a marker commit for `deploy-all --wait` and `rollback --wait`.

The daemon commits its report to the same branch, so a push often finds the branch moved: the
clone then fetches, rebases its own commits onto the upstream (the report folder is the
daemon's alone, so this never conflicts with a marker) and pushes again, a few times at most.
A rebase gives the marker commit a new id; `wait` looks the request up again afterwards.
I/O module (git).
"""

from __future__ import annotations

import git

from reconciler.errors import ConfigurationError
from reconciler.shell.repo.naming import redact

ATTEMPTS = 5


def publish(repo: git.Repo) -> None:
    """Push HEAD's branch to its upstream, rebasing onto it when the push is rejected."""
    tracking = None if repo.head.is_detached else repo.head.reference.tracking_branch()
    if tracking is None:
        raise ConfigurationError(
            f"--wait pushes the marker, but the current branch of {repo.working_dir} has no "
            "upstream; set one (git branch --set-upstream-to) or push yourself and run "
            "`reconciler wait`"
        )
    remote, branch = tracking.remote_name, tracking.remote_head
    last = ""
    for _attempt in range(ATTEMPTS):
        try:
            repo.git.push("--quiet", remote, f"HEAD:refs/heads/{branch}")
            return
        except git.GitCommandError as error:
            last = redact(str(error.stderr).strip())
        try:
            repo.git.pull("--quiet", "--rebase", remote, branch)
        except git.GitCommandError as error:
            said = redact(str(error.stderr).strip())
            raise ConfigurationError(
                f"git pull --rebase in {repo.working_dir} failed: {said}"
            ) from error
    raise ConfigurationError(f"git push from {repo.working_dir} failed: {last}")
