"""Reasons to fetch, and how a burst of them becomes one pass.

Triggers: a change to a local SOURCE's refs (watchfiles), the fetch interval (APScheduler),
`POST /webhook`, a retry after a failure or a rejected report push, and the start. Every one
calls `Wakeup.fire`; the daemon's single worker waits on `Wakeup.wait` and runs one pass per
wake. Whatever fires while a pass runs (a burst of pushes) only sets the flag again, so it
makes exactly one more pass, which sees the newest head: triggers are coalesced, never queued.

The watcher looks at the repository's Git directory (the folder itself when bare, `.git` or the
common directory of a worktree otherwise) and reacts only to `refs/`, `packed-refs` and `HEAD`,
never to objects being written, so a push is one wake, seen within about 50 ms of its last ref
update.

I/O module (the file system, through watchfiles).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import git
from watchfiles import Change, awatch

log = logging.getLogger(__name__)
_REF_FILES = ("packed-refs", "HEAD")


class Wakeup:
    """A flag with the reasons it was raised for; `close` ends every wait for good."""

    def __init__(self, counted: Callable[[str], None] | None = None) -> None:
        self._event = asyncio.Event()
        self._reasons: list[str] = []
        self._closed = False
        self._counted = counted

    def fire(self, reason: str) -> None:
        if self._closed:
            return
        self._reasons.append(reason)
        if self._counted is not None:
            self._counted(reason)
        self._event.set()

    def close(self) -> None:
        self._closed = True
        self._event.set()

    async def wait(self) -> tuple[str, ...] | None:
        """The reasons gathered since the last wait, once there is one; None once closed."""
        await self._event.wait()
        self._event.clear()
        reasons, self._reasons = tuple(self._reasons), []
        return None if self._closed else reasons


def git_dir(folder: Path) -> Path:
    """Where a local repository keeps its refs: the folder if bare, else its (common) Git dir."""
    return Path(git.Repo(folder).common_dir).resolve()


def is_ref_change(root: Path) -> Callable[[Change, str], bool]:
    """A watchfiles filter that keeps changes to refs and drops lock files and objects."""

    def keep(_change: Change, path: str) -> bool:
        relative = Path(path).relative_to(root).as_posix() if path.startswith(str(root)) else ""
        if not relative or relative.endswith(".lock"):
            return False
        return relative.startswith("refs/") or relative in _REF_FILES

    return keep


async def watch_refs(folder: Path, fire: Callable[[str], None], stop: asyncio.Event) -> None:
    """Fire `watch` whenever the refs of the repository at `folder` change, until `stop`."""
    try:
        root = git_dir(folder)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        # the fetch reports the same problem and is retried; the interval then stands in
        log.warning("%s is not a Git repository: not watching it for pushes", folder)
        return
    log.info("watching %s for pushes", root)
    async for _changes in awatch(root, watch_filter=is_ref_change(root), stop_event=stop, step=50):
        fire("watch")
