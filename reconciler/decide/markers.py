"""Deploy All and Core Action requests, read out of commits (SPEC §4, §5).

A request is a commit on the tracked branch (first-parent history) that adds a file under
`deploy/` or `actions/`, or whose message ends with a `Deploy-All: <reason>` trailer. Nothing else
deploys: editing or deleting an existing marker file is not a request. When several Deploy All
requests are pending, the newest runs and the older ones are superseded; Core Actions all run, in
commit order. Commits that touch only the report folder never matter.

Marker paths are taken as Git stores them, whatever characters they hold (`deploy/déploiement.yaml`,
names with spaces or tabs). A marker's id defaults to its file name; a file name that is no valid
id (`NAME_PATTERN`) is a validation problem (`reconciler validate` reports it), so such a request
is refused, never run, and recorded under an id derived from the file name: the name folded to
the allowed characters, then a hash of the path (`deploiement-1f2e3d4c`), so that a record and
its report file always have a safe, distinct name.

A rewritten history (the last processed commit is no ancestor of the new head) is judged by
`rewritten`: the last processed tree says which markers are history. Pure module.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath

from reconciler.decide.declared import layout
from reconciler.decide.model import NAME_PATTERN, Kind

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$")
_NAME = re.compile(NAME_PATTERN)
_NOT_IN_NAME = re.compile(r"[^a-z0-9_.-]+")
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


_KINDS = {Kind.DEPLOY_ALL: RequestKind.DEPLOY, Kind.CORE_ACTION: RequestKind.ACTION}


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
            return file_id(self.path)
        return f"trailer-{self.commit[:12]}"


def file_id(path: str) -> str:
    """The id a marker file gets by default: its name, or one derived from it when invalid."""
    stem = PurePosixPath(path).stem
    if _NAME.fullmatch(stem):
        return stem
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = _NOT_IN_NAME.sub("-", folded).lstrip("_.-")[:40].rstrip("_.-")
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{slug or 'marker'}-{digest}"


def marker_kind(path: str) -> RequestKind | None:
    """The kind of request a file at `path` makes when it is added, or None for other files."""
    held = layout.kind_for(path) if layout.is_candidate(path) else None
    return _KINDS.get(held) if held is not None else None


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
    found = []
    for change in sorted(commit.changes, key=lambda c: c.path):
        kind = marker_kind(change.path)
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


@dataclass(frozen=True, slots=True)
class Rewrite:
    """What a rewritten history asks for."""

    taken: tuple[Request, ...]
    """Requests on the new history, oldest first, to take like any others."""
    unattributed: tuple[str, ...]
    """Marker paths new at the head that no commit of the new history added (sorted)."""


def rewritten(
    new: Sequence[Commit],
    dropped: Sequence[Commit],
    held: Collection[str],
    fresh: Iterable[str],
    report_dir: str,
) -> Rewrite:
    """The requests of a rewritten history, judged against the last processed one.

    `new` holds the commits of the new history after the merge base (or all of it when there
    is none), `dropped` those of the old history after it, `held` the marker paths the last
    processed tree held, and `fresh` the marker paths at the new head it did not hold. A marker
    added on the new history is a request unless the last processed tree held its path (then it
    is history, rewritten). A trailer is a request unless a dropped commit carried the same
    trailer from the same author at the same time: that is the same commit rebased or amended,
    already seen. A fresh marker that no new commit added cannot be attributed to one.
    """
    seen = {_trailer_key(r) for r in requests(dropped, report_dir) if r.path is None}
    taken = [
        request
        for request in requests(new, report_dir)
        if (
            request.path not in held
            if request.path is not None
            else _trailer_key(request) not in seen
        )
    ]
    added = {request.path for request in taken}
    return Rewrite(tuple(taken), tuple(sorted(set(fresh) - added)))


def _trailer_key(request: Request) -> tuple[str, datetime, str | None]:
    return (request.author, request.at, request.reason)
