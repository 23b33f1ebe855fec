"""What `reconciler wait` waits for, and what a run record in the report says of it.

A request is waited for by id, with the commit that made it when that is known: the daemon
records a request whose id another commit took already as refused under `<id>-<commit7>`
(`requests.renamed_id`), so both names are looked up, and a record of the same id from another
commit is not this request's. Without an id, the newest request reachable from the head is
waited for (the last of `requested`): the last marker or `Deploy-All:` trailer on the
first-parent history.

Exit codes: 0 done, 1 failed, refused or superseded (it will not run as asked), 124 the timeout
passed first (the convention of `timeout(1)`). Pure module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.decide import markers
from reconciler.decide.markers import Commit, RequestKind
from reconciler.decide.outcomes import RequestState, RunKind
from reconciler.decide.requests import renamed_id
from reconciler.decide.runview import record_name

TIMED_OUT = 124
"""The exit code when the timeout passes before the request ends."""
_CODES = {
    RequestState.DONE: 0,
    RequestState.FAILED: 1,
    RequestState.REFUSED: 1,
    RequestState.SUPERSEDED: 1,
}


@dataclass(frozen=True, slots=True)
class Target:
    """The request waited for: its kind, id and, when known, the commit that made it."""

    kind: RunKind | None
    id: str
    commit: str | None = None

    @property
    def folders(self) -> tuple[str, ...]:
        """The report folders its record may be in."""
        if self.kind is RunKind.DEPLOY:
            return ("deployments",)
        if self.kind is RunKind.ACTION:
            return ("actions",)
        return ("deployments", "actions")

    @property
    def names(self) -> tuple[str, ...]:
        """The record names to look up, in order (see the module docstring)."""
        names = [record_name(self.id)]
        if self.commit is not None:
            names.append(record_name(renamed_id(self.id, self.commit)))
        return tuple(names)

    def describe(self) -> str:
        what = {RunKind.DEPLOY: "Deploy All", RunKind.ACTION: "Core Action"}.get(
            self.kind,  # type: ignore[arg-type]
            "request",
        )
        where = f" (commit {self.commit[:12]})" if self.commit else ""
        return f"{what} {self.id}{where}"


@dataclass(frozen=True, slots=True)
class Seen:
    """What the report says of the target now."""

    state: RequestState | None
    """None: not recorded yet."""
    note: str | None = None
    record: str | None = None
    """The record's path in the report folder."""

    @property
    def final(self) -> bool:
        return self.state is not None and self.state.finished

    @property
    def code(self) -> int:
        """The exit code: the request's outcome when it is final, else `TIMED_OUT`."""
        return _CODES.get(self.state, 1) if self.state is not None and self.final else TIMED_OUT


def seen(target: Target, records: Mapping[str, Any]) -> Seen:
    """The target's state in `records` (documents by path in the report folder, as read)."""
    for name in target.names:
        for folder in target.folders:
            path = f"{folder}/{name}.json"
            document = records.get(path)
            if isinstance(document, dict) and _is_target(target, name, document):
                return _seen(document, path)
    return Seen(None)


def _is_target(target: Target, name: str, document: dict[str, Any]) -> bool:
    if not isinstance(document.get("request"), dict):
        return False
    commit = document["request"].get("commit")
    renamed = name != target.names[0]
    return target.commit is None or commit == target.commit or (renamed and commit is None)


def _seen(document: dict[str, Any], path: str) -> Seen:
    try:
        state = RequestState(str(document.get("state")))
    except ValueError:
        return Seen(None, record=path)
    note = document.get("note")
    return Seen(state, note if isinstance(note, str) else None, path)


def requested(commits: Iterable[Commit], report_dir: str, marker_id: MarkerId) -> list[Target]:
    """Every request in `commits` (oldest first) as a target; `marker_id` reads the id a marker
    file declares at its commit (None: the file's default id)."""
    found = []
    for request in markers.requests(commits, report_dir):
        kind = RunKind.DEPLOY if request.kind is RequestKind.DEPLOY else RunKind.ACTION
        declared = marker_id(request.commit, request.path) if request.path is not None else None
        found.append(Target(kind, declared or request.default_id, request.commit))
    return found


MarkerId = Callable[[str, str], str | None]
"""(commit, marker path) → the id the marker document declares, or None."""


def sentence(target: Target, now: Seen) -> str:
    """The last line `wait` prints: how the request ended and where its record is."""
    if now.state is None:
        return f"{target.describe()} has no final outcome in the report yet"
    why = f": {now.note}" if now.note else ""
    return f"{target.describe()}: {now.state.value}{why} (report: {now.record})"
