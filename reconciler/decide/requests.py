"""From requests found in history to runs ready to record (SPEC §4, §5).

A request's marker document is read from the declared state at the request's own commit. A
request whose commit holds invalid declared state, or whose marker document cannot be found, is
refused with the reason, quoting the problems of the marker's own file (so that a file name that
is no valid id is named as `reconciler validate` names it); a superseded Deploy All is recorded
as such, naming the one that won. A marker on a rewritten history that no commit of the new
history added is refused as `history rewritten`. Every recorded id is a valid name, also when
the file name is not one (see `markers.file_id`). Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from reconciler.decide import resolve
from reconciler.decide.declared.parse import StateAt
from reconciler.decide.markers import Request, RequestKind, Verdict
from reconciler.decide.model import DeclaredState
from reconciler.decide.outcomes import RequestState, Run, RunKind
from reconciler.errors import DeclarationError

_NAMED = 5
"""At most this many problems of the marker's own file are quoted in the note."""
_ID_ROOM = 63 - 8
"""How long an id may be before `-<commit>` is added to it (names have at most 63 characters)."""


def to_run(request: Request, verdict: Verdict, state: StateAt, newest: Request | None) -> Run:
    """The run to record for one request, already refused or superseded when it must be."""
    base = Run(
        id=request.default_id,
        kind=RunKind.DEPLOY if request.kind is RequestKind.DEPLOY else RunKind.ACTION,
        state=RequestState.CLAIMED,
        commit=request.commit,
        author=request.author,
        requested_at=request.at,
        reason=request.reason or "",
    )
    if isinstance(state, DeclarationError):
        return _with(base, state=RequestState.REFUSED, note=_invalid(request, state))
    run = _from_marker(base, request, state)
    if verdict is Verdict.SUPERSEDED and run.state is RequestState.CLAIMED:
        winner = f"{newest.default_id} in commit {newest.commit[:12]}" if newest else "a newer one"
        note = f"superseded by the newer Deploy All {winner}"
        return _with(run, state=RequestState.SUPERSEDED, note=note)
    return run


def _invalid(request: Request, error: DeclarationError) -> str:
    note = f"the declared state at this commit is invalid ({len(error.problems)} problem(s))"
    own = [str(problem) for problem in error.problems if problem.path == request.path]
    return "; ".join([note, *own[:_NAMED]])


def _from_marker(base: Run, request: Request, state: DeclaredState) -> Run:
    if request.path is None:
        return base
    if request.kind is RequestKind.DEPLOY:
        deploys = [m for m in state.deploy_markers.values() if m.origin.path == request.path]
        if not deploys:
            return _with(
                base, state=RequestState.REFUSED, note=f"no DeployAll document in {request.path}"
            )
        marker = deploys[-1]
        return _with(
            base,
            id=marker.id,
            reason=marker.reason,
            expect_plan=marker.expect_plan,
            revision=marker.revision,
        )
    actions = [a for a in state.actions.values() if a.origin.path == request.path]
    if not actions:
        return _with(
            base, state=RequestState.REFUSED, note=f"no CoreAction document in {request.path}"
        )
    action = actions[-1]
    cores = action.cores or resolve.cores_for(state, action.pipeline)
    return _with(
        base,
        id=action.id,
        pipeline=action.pipeline,
        action=action.action,
        target_cores=tuple(cores),
        reason=f"{action.action.value} {action.pipeline}",
    )


def _with(run: Run, **changes: Any) -> Run:
    return replace(run, **changes)


def renamed_id(run_id: str, commit: str) -> str:
    """The id a request is refused under when another commit took `run_id` already."""
    return f"{run_id[:_ID_ROOM].rstrip('_.-')}-{commit[:7]}"


def renamed(run: Run, taken_by: Run) -> Run:
    """A run whose id is already used by another request: refused under a distinct id."""
    return _with(
        run,
        id=renamed_id(run.id, run.commit),
        state=RequestState.REFUSED,
        note=f"id {run.id!r} was already used by commit {taken_by.commit[:12]}; "
        "give the marker another file name or id",
    )


def unattributed(run: Run, path: str, since: str, *, gone: bool = False) -> Run:
    """A marker at the head of a rewritten history that cannot be told from history: refused.

    Either the last processed tree did not hold it and no commit of the new history adds it,
    or (`gone`) the last processed commit is not in the clone any more to compare with.
    """
    why = (
        f"the last processed commit {since[:12]} is gone from the clone"
        if gone
        else f"{path} was not in the last processed commit {since[:12]} "
        "and no commit of the new history adds it"
    )
    return _with(
        run,
        state=RequestState.REFUSED,
        note=f"history rewritten: {why}, so {path} cannot be told from history; nothing was "
        "run (add a new marker to request it)",
    )


def newest_deploy(found: Sequence[tuple[Request, Verdict]]) -> Request | None:
    runs = [r for r, v in found if r.kind is RequestKind.DEPLOY and v is Verdict.RUN]
    return runs[-1] if runs else None
