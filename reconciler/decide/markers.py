"""Deploy All and Core Action requests, read out of commits (SPEC §4, §5).

A request is a commit on the tracked branch (first-parent history) that adds a file under
`deploy/` or `actions/`, or whose message ends with a `Deploy-All: <reason>` trailer. Nothing else
deploys: editing or deleting an existing marker file is not a request. When several Deploy All
requests are pending, the newest runs and the older ones are superseded; Core Actions all run, in
commit order. Commits that touch only the report folder never matter. Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath

from reconciler.decide.declared import layout
from reconciler.decide.model import Kind

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$")
DEPLOY_TRAILER = "deploy-all"


@dataclass(frozen=True, slots=True)
class Change:
    """One path a commit changed against its first parent (`A`dded, `M`odified, `D`eleted...)."""

    status: str
    path: str


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    author: str
    authored_at: datetime
    message: str
    changes: tuple[Change, ...]


class RequestKind(StrEnum):
    DEPLOY = "deploy"
    ACTION = "action"


class Verdict(StrEnum):
    RUN = "run"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class Request:
    """One request found in history; `path` is the marker file, or None for a trailer."""

    kind: RequestKind
    commit: str
    author: str
    at: datetime
    path: str | None = None
    reason: str | None = None

    @property
    def default_id(self) -> str:
        """The id before the marker document is read: its file name, or one from the commit."""
        if self.path is not None:
            return PurePosixPath(self.path).stem
        return f"trailer-{self.commit[:12]}"


def report_only(commit: Commit, report_dir: str) -> bool:
    """Whether a commit changes nothing but the report folder (the daemon's own writes)."""
    return all(layout.is_report(change.path, report_dir) for change in commit.changes)


def requests(commits: Iterable[Commit], report_dir: str) -> list[Request]:
    """Every request in `commits` (oldest first), in commit order, markers before the trailer."""
    found: list[Request] = []
    for commit in commits:
        if commit.changes and report_only(commit, report_dir):
            continue
        found.extend(_marker_requests(commit))
        reason = deploy_trailer(commit.message)
        if reason is not None:
            found.append(
                Request(
                    RequestKind.DEPLOY, commit.sha, commit.author, commit.authored_at, None, reason
                )
            )
    return found


def _marker_requests(commit: Commit) -> list[Request]:
    kinds = {Kind.DEPLOY_ALL: RequestKind.DEPLOY, Kind.CORE_ACTION: RequestKind.ACTION}
    found = []
    for change in sorted(commit.changes, key=lambda c: c.path):
        held = layout.kind_for(change.path) if layout.is_candidate(change.path) else None
        kind = kinds.get(held) if held is not None else None
        if kind is not None and change.status in ("A", "R", "C"):
            found.append(Request(kind, commit.sha, commit.author, commit.authored_at, change.path))
    return found


def deploy_trailer(message: str) -> str | None:
    """The reason of a `Deploy-All:` trailer in the message's last paragraph, if any."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return None
    reason = None
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match is None and not line[:1].isspace():
            return None
        if match is not None and match.group(1).lower() == DEPLOY_TRAILER:
            reason = match.group(2).strip() or None
    return reason


def verdicts(found: Sequence[Request]) -> list[tuple[Request, Verdict]]:
    """Which requests run: every action, and only the newest Deploy All."""
    deploys = [request for request in found if request.kind is RequestKind.DEPLOY]
    newest = deploys[-1] if deploys else None
    return [
        (
            request,
            Verdict.RUN
            if request.kind is RequestKind.ACTION or request is newest
            else Verdict.SUPERSEDED,
        )
        for request in found
    ]
