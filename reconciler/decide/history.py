"""`reconciler history`: the deploys and actions of the run records, newest first.

Each record in the report's `deployments/` and `actions/` folders is one line: when, the
request, what it did (Deploy All, a rollback to an older revision, or an action on a
pipeline), the revision whose declared state it deployed (a Core Action: its marker's commit),
how it ended, and who asked. The report keeps the newest 200 records; older ones are in Git's
history of the report folder.

A Core Action concerns the pipeline it names and the Cores it targeted. A Deploy All concerns
every pipeline assigned at the revision it deployed (`assigned` reads that; None when that
revision's declared state cannot be read, and then the deploy is listed, since it may have
concerned the pipeline), on the Cores it ran on. Records are read as untrusted: what is not
the expected shape is left out. Pure module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Assigned = Callable[[str], Mapping[str, Sequence[str]] | None]
"""revision → the Cores each pipeline is assigned to there, or None when it cannot be read."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One request in the history."""

    id: str
    what: str
    state: str
    revision: str
    commit: str
    author: str
    requested_at: str
    finished_at: str | None
    rollback: bool
    pipeline: str | None
    cores: Mapping[str, str]
    """Each Core it ran on, and how it ended there."""

    @property
    def when(self) -> str:
        return self.finished_at or self.requested_at


def entries(
    records: Mapping[str, Any], pipeline: str | None, cores: Iterable[str], assigned: Assigned
) -> list[Entry]:
    """The requests in `records` that concern `pipeline` (all when None) on `cores` (all when
    empty), newest first."""
    wanted = set(cores)
    found = [entry for document in records.values() if (entry := _entry(document)) is not None]
    kept = [e for e in found if _concerns(e, pipeline, wanted, assigned)]
    return sorted(kept, key=lambda e: (e.when, e.id), reverse=True)


def _entry(document: Any) -> Entry | None:
    try:
        request = document["request"]
        kind, rollback = document["kind"], bool(document.get("rollback"))
        cores = {str(c["core"]): str(c["outcome"]) for c in document.get("cores") or ()}
        commit = str(request["commit"])
        revision = str(document.get("deployed_revision") or commit)
        if kind == "deploy":
            what = f"Rollback to {revision[:12]}" if rollback else "Deploy All"
        else:
            what = f"{str(request['action']).capitalize()} {request['pipeline']}"
        return Entry(
            id=str(document["id"]),
            what=what,
            state=str(document["state"]),
            revision=revision,
            commit=commit,
            author=str(request["author"]),
            requested_at=str(request["requested_at"]),
            finished_at=str(document["finished_at"]) if document.get("finished_at") else None,
            rollback=rollback,
            pipeline=str(request["pipeline"]) if kind == "action" else None,
            cores=cores,
        )
    except (KeyError, TypeError, AttributeError):
        return None


def _concerns(entry: Entry, pipeline: str | None, cores: set[str], assigned: Assigned) -> bool:
    if cores and not cores & set(entry.cores):
        return False
    if pipeline is None:
        return True
    if entry.pipeline is not None:
        return entry.pipeline == pipeline
    table = assigned(entry.revision)
    if table is None:
        return True
    where = set(table.get(pipeline, ()))
    return bool(where & cores) if cores else bool(where)


def text(found: Sequence[Entry], cores: Iterable[str] = ()) -> str:
    """The history as a table for a terminal; with `cores`, the outcome on those Cores."""
    shown = set(cores)
    header = ("WHEN (UTC)", "REQUEST", "WHAT", "REVISION", "OUTCOME", "BY")
    lines = [header]
    for entry in found:
        outcome = entry.state
        if shown:
            outcome = ", ".join(f"{c}: {o}" for c, o in sorted(entry.cores.items()) if c in shown)
        lines.append(
            (
                entry.when[:16].replace("T", " "),
                entry.id,
                entry.what,
                entry.revision[:12],
                outcome,
                entry.author.split(" <")[0],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )


def document(found: Sequence[Entry]) -> list[dict[str, Any]]:
    """The history for machines (`--format json`)."""
    return [
        {
            "id": e.id,
            "what": e.what,
            "state": e.state,
            "revision": e.revision,
            "commit": e.commit,
            "rollback": e.rollback,
            "pipeline": e.pipeline,
            "author": e.author,
            "requested_at": e.requested_at,
            "finished_at": e.finished_at,
            "cores": dict(e.cores),
        }
        for e in found
    ]
