"""The report as Git holds it, read from a person's clone without touching its working tree.

`reconciler wait` and `reconciler history` read the run records (`deployments/*.json`,
`actions/*.json`) from the tracked branch as the remote has it: the clone's upstream of its
current branch is fetched (`git fetch`, nothing merged or checked out) and its tree read from
the object database. A clone without an upstream, or a bare repository, is read at its HEAD.
A record larger than `MAX_RECORD_BYTES`, or one that is no JSON object, is left out: the report
folder is as untrusted as the rest of the repository.

I/O module (the git command, the object database).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git

from reconciler.decide.declared.parse import RepoFile, parse_file, report_dir
from reconciler.decide.markers import Commit
from reconciler.decide.model import CoreAction, DeployAll
from reconciler.errors import ConfigurationError, SourceUnavailable
from reconciler.shell.repo.naming import redact
from reconciler.shell.repo.source import recent_commits

MAX_RECORD_BYTES = 4 << 20
RECORD_FOLDERS = ("deployments", "actions")
HISTORY_DEPTH = 2000
"""How many first-parent commits back the newest request is looked for."""


@dataclass(frozen=True, slots=True)
class Clone:
    """A person's clone (or any local repository) and the ref its report is read at."""

    repo: git.Repo
    upstream: tuple[str, str] | None
    """(remote, branch) the current branch tracks; None: read HEAD."""

    @classmethod
    def open(cls, path: Path) -> Clone:
        try:
            repo = git.Repo(path, search_parent_directories=False)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
            raise ConfigurationError(f"{path} is not a Git repository") from error
        repo.git.update_environment(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        return cls(repo, _upstream(repo))

    @property
    def ref(self) -> str:
        return f"refs/remotes/{self.upstream[0]}/{self.upstream[1]}" if self.upstream else "HEAD"

    def fetch(self) -> None:
        """Bring the upstream's branch up to date (nothing to do without one)."""
        if self.upstream is None:
            return
        remote, branch = self.upstream
        try:
            self.repo.git.fetch("--quiet", remote, branch)
        except git.GitCommandError as error:
            raise SourceUnavailable(
                f"git fetch {remote} in {self.repo.working_dir} failed: "
                f"{redact(str(error.stderr).strip())}"
            ) from error

    def head(self) -> str:
        return str(self.repo.head.commit.hexsha)

    def holds(self, commit: str) -> bool:
        """Whether the report's ref holds `commit` (whether it was pushed)."""
        try:
            self.repo.git.merge_base("--is-ancestor", commit, self.ref)
        except git.GitCommandError:
            return False
        return True

    def report_dir(self, revision: str) -> str:
        try:
            return report_dir_of(self.repo.commit(revision).tree)
        except (git.BadName, ValueError):
            return "status"

    def records(self, revision: str | None = None) -> dict[str, Any]:
        """Every readable run record of the report at `revision` (default: the ref), by path
        in the report folder (`deployments/<name>.json`)."""
        at = revision or self.ref
        try:
            tree = self.repo.commit(at).tree
        except (git.BadName, ValueError):
            return {}
        folder = self.report_dir(at)
        found: dict[str, Any] = {}
        for kind in RECORD_FOLDERS:
            try:
                top = tree / f"{folder}/{kind}"
            except KeyError:
                continue
            for item in top.blobs if isinstance(top, git.Tree) else ():
                if item.name.endswith(".json") and item.size <= MAX_RECORD_BYTES:
                    document = _json(item.data_stream.read())
                    if isinstance(document, dict):
                        found[f"{kind}/{item.name}"] = document
        return found

    def commits(self, head: str = "HEAD", limit: int = HISTORY_DEPTH) -> list[Commit]:
        return recent_commits(self.repo, head, limit)

    def marker_id(self, commit: str, path: str) -> str | None:
        """The id the marker file at `path` declares at `commit`, if it declares one."""
        try:
            item = self.repo.commit(commit).tree / path
        except (KeyError, git.BadName, ValueError):
            return None
        if not isinstance(item, git.Blob) or item.size > MAX_RECORD_BYTES:
            return None
        parsed = parse_file(RepoFile(path, item.data_stream.read()))
        ids = [v.id for _kind, v in parsed.objects if isinstance(v, DeployAll | CoreAction)]
        return ids[-1] if ids else None


def report_dir_of(tree: git.Tree) -> str:
    """The report folder the tree's `reconciler.yaml` names (default `status`), read alone."""
    try:
        settings = tree / "reconciler.yaml"
    except KeyError:
        return report_dir([])
    if not isinstance(settings, git.Blob) or settings.size > MAX_RECORD_BYTES:
        return report_dir([])
    return report_dir([RepoFile("reconciler.yaml", settings.data_stream.read())])


def _upstream(repo: git.Repo) -> tuple[str, str] | None:
    if repo.bare or repo.head.is_detached:
        return None
    tracking = repo.head.reference.tracking_branch()
    return (tracking.remote_name, tracking.remote_head) if tracking is not None else None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None
