"""The Git source: a bare clone of SOURCE in the state directory (SPEC §7).

It is never a person's working tree. Reports are committed with plumbing (blobs, an in-memory
index, a tree and a commit on top of the fetched head) and pushed; nothing is ever checked out.
Every call is blocking: the daemon runs them in a worker thread. Git never prompts for
credentials (it fails instead), and a source that cannot be reached is a `SourceUnavailable`.
Credentials in a SOURCE URL never reach a file or a command line (see `credentials`): the clone's
config holds the URL without them, and a clone made by an older version that stored them is
rewritten when it is opened.

I/O module (the git command, the object database).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import git
from gitdb import IStream

from reconciler.decide.declared.documents import Limits
from reconciler.decide.declared.parse import RepoFile
from reconciler.decide.markers import Change, Commit
from reconciler.decide.signatures import Signature
from reconciler.errors import SourceUnavailable
from reconciler.shell.repo.credentials import remote_of
from reconciler.shell.repo.files import read_revision
from reconciler.shell.repo.naming import Identity, redact

log = logging.getLogger(__name__)
_NO_OBJECT = "0" * 40
"""The object id that removes a path from an index (`git update-index --index-info`)."""
_FIELD = "\x1f"
_LOG_FORMAT = "%H%x00%an <%ae>%x00%aI%x00%B"
_STATUS = re.compile(r"\n?([A-Z])[0-9]*")
_REJECTED = ("rejected", "non-fast-forward", "fetch first", "failed to update ref")


@dataclass(frozen=True, slots=True)
class TreeFile:
    """One entry of a tree that is not a folder: its Git mode and object id."""

    mode: int
    sha: str

    @property
    def plain(self) -> bool:
        """A regular file (not executable, not a symlink, not a submodule)."""
        return self.mode == PLAIN_FILE

    def holds(self, text: str) -> bool:
        """Whether this is a plain file holding exactly `text` (as UTF-8)."""
        data = text.encode("utf-8")
        blob_id = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False)
        return self.plain and self.sha == blob_id.hexdigest()


PLAIN_FILE = 0o100644


class GitSource:
    """One source repository, mirrored into `path` (a bare repository we own)."""

    def __init__(self, source: str, path: Path, branch: str | None = None) -> None:
        self.source = source
        self.path = path
        self._remote = remote_of(source)
        self.rejection: str | None = None
        """What the source said when it last rejected a push (git's words, credentials out)."""
        self._branch = branch
        self._repo: git.Repo | None = None

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            self._repo = self._open()
        return self._repo

    @property
    def branch(self) -> str:
        if self._branch is None:
            self._branch = self._remote_default_branch()
        return self._branch

    def _open(self) -> git.Repo:
        if (self.path / "HEAD").exists():
            repo = git.Repo(self.path)
            _forget_stored_credentials(repo)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.init(self.path, bare=True)
            repo.create_remote("origin", self._remote.url)
        repo.git.update_environment(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", LC_ALL="C")
        return repo

    def _git(self, *args: str, network: bool = False) -> str:
        try:
            return self._run(*args, network=network)
        except git.GitCommandError as error:
            raise SourceUnavailable(
                f"git {args[0]} on {redact(self.source)} failed: {_stderr(error)}"
            ) from error

    def _run(self, *args: str, network: bool) -> str:
        """One git call; a `network` one talks to SOURCE and hears its credentials, if any."""
        options = self._remote.options() if network else []
        environment = self._remote.environment() if network else {}
        return str(self.repo.git.execute(["git", *options, *args], env=environment))

    def _remote_default_branch(self) -> str:
        listing = self._git("ls-remote", "--symref", "origin", "HEAD", network=True)
        for line in listing.splitlines():
            if line.startswith("ref: refs/heads/"):
                return line.split("\t")[0].removeprefix("ref: refs/heads/")
        return "main"

    def fetch(self) -> str:
        """Fetch the tracked branch; returns its head commit."""
        ref = f"refs/remotes/origin/{self.branch}"
        refspec = f"+refs/heads/{self.branch}:{ref}"
        self._git("fetch", "--quiet", "--prune", "origin", refspec, network=True)
        return self._git("rev-parse", ref)

    def fetch_refs(self, refs: Sequence[str]) -> None:
        """Fetch other refs of the origin (pull request heads) under `refs/reconciler/`.

        The tracked branch and what the passes read are untouched, and FETCH_HEAD is not
        written, so this may run beside a pass's own fetch. A ref the origin lacks (a pull
        request closed meanwhile) is left out, not an error.
        """
        for ref in refs:
            spec = f"+{ref}:refs/reconciler/{ref.removeprefix('refs/')}"
            try:
                self._run("fetch", "--quiet", "--no-write-fetch-head", "origin", spec, network=True)
            except git.GitCommandError as error:
                log.info("fetch of %s from %s: %s", ref, redact(self.source), _stderr(error))

    def last_change(self, head: str, report_dir: str) -> str:
        """The newest commit up to `head` that changed anything outside the report folder."""
        excluded = [f":(exclude){folder}/" for folder in sorted({report_dir, "status"})]
        found = self._git("rev-list", "-1", "--first-parent", head, "--", ".", *excluded)
        return found or head

    def signature(self, commit: str, allowed_ssh: list[str]) -> Signature:
        """What Git says of a commit's signature, SSH keys checked against `allowed_ssh` lines."""
        with tempfile.NamedTemporaryFile("w", suffix=".allowed", delete=False) as handle:
            handle.write("".join(f"{line}\n" for line in allowed_ssh))
        try:
            shown = self._git(
                "-c",
                f"gpg.ssh.allowedSignersFile={handle.name}",
                "log",
                "-1",
                f"--format=%G?{_FIELD}%GF{_FIELD}%GS{_FIELD}%GP",
                commit,
            )
        finally:
            os.unlink(handle.name)
        code, fingerprint, signer, primary = [*shown.split(_FIELD), "", "", "", ""][:4]
        return Signature(code.strip() or "N", fingerprint, signer, primary.strip())

    def has_commit(self, commit: str) -> bool:
        """Whether the clone holds `commit` (a rewritten history may have dropped it)."""
        try:
            self.repo.git.cat_file("-e", f"{commit}^{{commit}}")
        except git.GitCommandError:
            return False
        return True

    def resolve(self, revision: str) -> str | None:
        """The full id of the commit `revision` names in the clone, or None (unknown, ambiguous
        or no commit)."""
        try:
            found = self.repo.git.rev_parse("--verify", "--quiet", f"{revision}^{{commit}}")
        except git.GitCommandError:
            return None
        return str(found).strip() or None

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", older, newer)
        except git.GitCommandError:
            return False
        return True

    def commits(self, since: str | None, head: str) -> list[Commit]:
        """First-parent commits after `since` up to `head`, oldest first, with changed paths.

        `since` None means from the root. When `since` is no ancestor of `head` (a rewritten
        history), these are the commits of `head` that `since` cannot reach: the new history
        after the merge base. Paths are exactly as Git stores them (NUL-separated, never quoted).
        """
        if since == head:
            return []
        listing = self._git(
            "log",
            "-z",
            "--first-parent",
            "--reverse",
            "--diff-merges=first-parent",
            "--name-status",
            f"--format={_LOG_FORMAT}",
            head if since is None else f"{since}..{head}",
        )
        return _commits(listing.split("\0"))

    def files(
        self, revision: str, limits: Limits = Limits(), reuse: Mapping[str, RepoFile] | None = None
    ) -> list[RepoFile]:
        """The candidate files of the tree at `revision` (see `files.read_revision`)."""
        return read_revision(self.path, revision, limits, reuse)

    def changed_paths(self, older: str, newer: str) -> list[str]:
        """The paths whose content differs between two revisions (either side of a rename)."""
        if older == newer:
            return []
        listing = self._git("diff", "--name-only", "--no-renames", "-z", older, newer)
        return [path for path in listing.split("\0") if path]

    def blob(self, revision: str, path: str) -> bytes | None:
        """One file's bytes at `revision`, or None when it does not exist there."""
        try:
            item = self.repo.commit(revision).tree / path
        except KeyError:
            return None
        data: bytes = item.data_stream.read() if isinstance(item, git.Blob) else b""
        return data

    def tree_files(self, revision: str, folder: str) -> dict[str, TreeFile]:
        """Every entry at or under `folder` at `revision` that is not a folder (files, symlinks,
        submodules), by path from the root; `folder` itself when it is not a folder."""
        try:
            top = self.repo.commit(revision).tree / folder
        except KeyError:
            return {}
        return dict(_leaves(top))

    def commit_files(
        self,
        base: str,
        files: Mapping[str, str],
        message: str,
        identity: Identity,
        at: datetime,
        *,
        removed: Sequence[str] = (),
    ) -> str:
        """A new commit on top of `base` with `files` written and the files `removed` gone
        (paths from the repository root)."""
        repo = self.repo
        with tempfile.TemporaryDirectory(prefix="reconciler-index-") as folder:
            # a throwaway index, filled and written by git itself: the tree of a big repository
            # is read and written in C, not entry by entry in Python
            index = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            repo.git.execute(["git", "read-tree", base], env=index)
            lines = [f"0 {_NO_OBJECT}\t{path}" for path in removed]
            lines += [f"100644 {self._store(text).hex()}\t{path}" for path, text in files.items()]
            listing = Path(folder) / "entries"
            listing.write_bytes("".join(f"{line}\0" for line in lines).encode("utf-8"))
            with listing.open("rb") as entries:
                command = ["git", "update-index", "-z", "--index-info"]
                repo.git.execute(command, env=index, istream=entries)
            tree = repo.tree(str(repo.git.execute(["git", "write-tree"], env=index)))
        actor = git.Actor(identity.name, identity.email)
        stamp = f"{int(at.timestamp())} +0000"
        commit = git.Commit.create_from_tree(
            repo,
            tree,
            message,
            parent_commits=[repo.commit(base)],
            head=False,
            author=actor,
            committer=actor,
            author_date=stamp,
            commit_date=stamp,
        )
        return str(commit.hexsha)

    def _store(self, text: str) -> bytes:
        data = text.encode("utf-8")
        stored = self.repo.odb.store(IStream(git.Blob.type, len(data), BytesIO(data)))
        binsha: bytes = stored.binsha
        return binsha

    def push(self, commit: str) -> bool:
        """Push `commit` to the tracked branch; False when the branch moved on (rejected)."""
        try:
            self._run(
                "push", "--quiet", "origin", f"{commit}:refs/heads/{self.branch}", network=True
            )
        except git.GitCommandError as error:
            if any(marker in _stderr(error) for marker in _REJECTED):
                self.rejection = _stderr(error)
                log.info("push to %s rejected: %s", redact(self.source), self.rejection)
                return False
            raise SourceUnavailable(
                f"git push to {redact(self.source)} failed: {_stderr(error)}"
            ) from error
        return True


def _forget_stored_credentials(repo: git.Repo) -> None:
    """Rewrite a remote URL that an older version stored with its credentials in it."""
    reader = repo.config_reader()
    stored = str(reader.get_value('remote "origin"', "url", ""))
    cleaned = remote_of(stored).url
    if cleaned != stored:
        repo.git.remote("set-url", "origin", cleaned)
        log.info("removed the credentials stored in %s/config", repo.git_dir)


def _leaves(top: git.objects.base.IndexObject) -> Iterator[tuple[str, TreeFile]]:
    # a loop, not recursion: a pushed tree can nest deeper than Python's recursion limit
    pending = [top]
    while pending:
        item = pending.pop()
        if isinstance(item, git.Tree):
            pending.extend(item)
        else:
            yield str(item.path), TreeFile(item.mode, item.hexsha)


def _stderr(error: git.GitCommandError) -> str:
    text = str(error.stderr or error).strip().replace("\n", " ")
    return redact(text.removeprefix("stderr: ").strip("' "))


def recent_commits(repo: git.Repo, head: str, limit: int) -> list[Commit]:
    """The newest `limit` first-parent commits up to `head`, oldest first, with changed paths
    (the form `GitSource.commits` gives, for a person's clone)."""
    listing = repo.git.log(
        "-z",
        "--first-parent",
        f"--max-count={limit}",
        "--diff-merges=first-parent",
        "--name-status",
        f"--format={_LOG_FORMAT}",
        head,
    )
    return list(reversed(_commits(str(listing).split("\0"))))


def _commits(tokens: list[str]) -> list[Commit]:
    """Parse `git log -z --name-status` output split at NUL.

    Each commit is four tokens (sha, author, date, message: Git cuts a message at a NUL, so
    none holds one), then its changes: a status token (`A`, `M`, `R100`…; the first one after
    a newline), then one path, or two for a rename or copy. A status is an upper-case letter
    and a sha is lower-case hex, so the next commit is never taken for a change; paths are
    taken by position, whatever they hold.
    """
    found: list[Commit] = []
    at = 0
    while at + 4 <= len(tokens) and tokens[at]:
        sha, author, date, message = tokens[at : at + 4]
        changes, at = _changes(tokens, at + 4)
        found.append(_commit(sha, author, date, message, changes))
    return found


def _commit(sha: str, author: str, date: str, message: str, changes: list[Change]) -> Commit:
    return Commit(
        sha=sha.strip(),
        author=author,
        authored_at=datetime.fromisoformat(date),
        message=message.strip(),
        changes=tuple(changes),
    )


def _changes(tokens: list[str], at: int) -> tuple[list[Change], int]:
    """The changes from `tokens[at]` on, and the index of the next commit's first token."""
    found = []
    while at < len(tokens) and (status := _STATUS.fullmatch(tokens[at])) is not None:
        letter = status.group(1)
        width = 2 if letter in ("R", "C") else 1
        paths = tokens[at + 1 : at + 1 + width]
        if len(paths) == width:
            found.append(Change(letter, paths[-1]))
        at += 1 + width
    return found, at
