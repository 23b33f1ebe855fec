"""Request intake (SPEC §4, §5): new commits become recorded requests, exactly once.

The commits since the last processed one are read for markers and trailers; each request is
turned into a run (refused, superseded or claimed) and recorded in the ledger before anything
runs. With `deploy.allowed_signers` in force, a request whose commit is not signed by a trusted
signer is refused; the signers in force are those of the baseline or of the last deployed
state, never of the commit being judged. A request id already taken by another commit is
recorded as refused under a distinct id.

A rewritten history (a force-push: the last processed commit is no ancestor of the new head) is
not a new baseline. It is judged against the last processed tree (`markers.rewritten`):

- a marker added by a commit of the new history after the merge base (all of it when there is
  none) is a request, recorded and run like any other, unless the last processed tree held its
  path: then it is history, rewritten;
- a marker at the new head that the last processed tree did not hold and that no such commit
  added (it came from before the merge base) is recorded as refused, "history rewritten";
- a `Deploy-All:` trailer on a commit of the new history is a request, unless a commit of the
  dropped old history carried the same trailer from the same author at the same time (the same
  commit rebased or amended);
- the trusted signers stay those in force before the rewrite;
- when the new head is an older commit (a branch reset back), nothing is new: every commit on
  it was seen by an earlier pass or lies before the baseline.

When the last processed commit is gone from the clone as well (the clone was removed, or Git
pruned the commit), nothing can be compared: every marker at the new head whose id the ledger
does not hold yet is recorded as refused, "history rewritten", and trailers are not taken. In
every case the rewrite is logged as a warning. I/O module (Git, ledger).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace

from reconciler.decide import markers, requests
from reconciler.decide.declared.parse import StateAt
from reconciler.decide.markers import Request
from reconciler.decide.model import DeclaredState
from reconciler.decide.outcomes import RequestState, Run
from reconciler.decide.signatures import refusal, ssh_lines
from reconciler.decide.trust import identities
from reconciler.shell.ledger import Ledger
from reconciler.shell.repo.source import GitSource

log = logging.getLogger(__name__)
ReadState = Callable[[str], Awaitable[StateAt]]
"""Reads the declared state at a revision (`Reconciler.state_at`)."""


async def take(
    source: GitSource, ledger: Ledger, state_at: ReadState, head: str, state: DeclaredState
) -> tuple[Run, ...]:
    """Record every request after the last processed commit, then mark `head` processed.

    Answers the runs recorded, as recorded (claimed, refused or superseded).
    """
    since = await ledger.last_processed()
    report_dir = state.settings.report_dir
    recorded: list[Run] = []
    if since is None:
        await trust(ledger, state)
    elif await asyncio.to_thread(source.is_ancestor, since, head):
        history = await asyncio.to_thread(source.commits, since, head)
        recorded += await _record(source, ledger, state_at, markers.requests(history, report_dir))
    else:
        recorded += await _rewritten(source, ledger, state_at, (since, head), report_dir)
    await ledger.set_last_processed(head)
    return tuple(recorded)


async def _record(
    source: GitSource, ledger: Ledger, state_at: ReadState, found: list[Request]
) -> list[Run]:
    """Turn requests into runs (the newest Deploy All wins) and record each one."""
    decided = markers.verdicts(found)
    newest = requests.newest_deploy(decided)
    recorded: list[Run] = []
    for request, verdict in decided:
        run = requests.to_run(request, verdict, await state_at(request.commit), newest)
        kept = await claim(ledger, await checked(source, ledger, run))
        recorded += [kept] if kept is not None else []
    return recorded


async def _rewritten(
    source: GitSource,
    ledger: Ledger,
    state_at: ReadState,
    span: tuple[str, str],
    report_dir: str,
) -> list[Run]:
    """The requests of a rewritten history from `since` to `head` (see the module docstring)."""
    since, head = span
    if not await asyncio.to_thread(source.has_commit, since):
        return await _unjudged(source, ledger, state_at, span)
    new = await asyncio.to_thread(source.commits, since, head)
    if not new:
        log.warning("history was reset to %s, older than %s: nothing new", head[:12], since[:12])
        return []
    dropped = await asyncio.to_thread(source.commits, head, since)
    held, fresh = await asyncio.to_thread(_marker_paths, source, since, head, new)
    rewrite = markers.rewritten(new, dropped, held, fresh, report_dir)
    log.warning(
        "history was rewritten (%s is no ancestor of %s): %d request(s) on the new history, "
        "%d new marker(s) that no new commit adds",
        since[:12],
        head[:12],
        len(rewrite.taken),
        len(rewrite.unattributed),
    )
    recorded = await _record(source, ledger, state_at, list(rewrite.taken))
    return recorded + await _refused(ledger, state_at, new[-1], rewrite.unattributed, since)


def _marker_paths(
    source: GitSource, since: str, head: str, new: Iterable[markers.Commit]
) -> tuple[set[str], list[str]]:
    """Which marker paths the `since` tree held, and those at `head` it did not (blocking).

    Only paths that differ between the two trees or that a new commit adds are looked at.
    """
    changed = [path for path in source.changed_paths(since, head) if markers.marker_kind(path)]
    added = {c.path for commit in new for c in commit.changes if markers.marker_kind(c.path)}
    held = {path for path in {*changed, *added} if source.blob(since, path) is not None}
    fresh = [p for p in changed if p not in held and source.blob(head, p) is not None]
    return held, fresh


async def _unjudged(
    source: GitSource, ledger: Ledger, state_at: ReadState, span: tuple[str, str]
) -> list[Run]:
    """A rewrite whose old side is gone from the clone: every unrecorded marker is refused."""
    since, head = span
    history = await asyncio.to_thread(source.commits, None, head)
    files = await asyncio.to_thread(source.files, head)
    at_head = sorted(f.path for f in files if markers.marker_kind(f.path))
    log.warning(
        "history was rewritten and the last processed commit %s is gone from the clone: "
        "%d marker(s) at %s cannot be told from history and are refused unless recorded",
        since[:12],
        len(at_head),
        head[:12],
    )
    return await _refused(ledger, state_at, history[-1], at_head, since, gone=True)


async def _refused(
    ledger: Ledger,
    state_at: ReadState,
    head: markers.Commit,
    paths: Iterable[str],
    since: str,
    *,
    gone: bool = False,
) -> list[Run]:
    """Record each marker at `head` as refused, "history rewritten", unless its id is recorded."""
    state = await state_at(head.sha)
    recorded: list[Run] = []
    for path in paths:
        kind = markers.marker_kind(path)
        if kind is None:
            continue
        request = Request(kind, head.sha, head.author, head.authored_at, path)
        run = requests.to_run(request, markers.Verdict.RUN, state, None)
        run = requests.unattributed(run, path, since, gone=gone)
        if await ledger.run(run.id) is None and await ledger.claim(run):
            recorded.append(run)
        else:
            log.info("%s on the rewritten history is recorded already as %s", path, run.id)
    return recorded


async def trust(ledger: Ledger, state: DeclaredState) -> None:
    """The allowed signers and the Cores trusted from now on: a baseline's or a deployed state's."""
    await ledger.set_trusted_signers(state.settings.allowed_signers)
    await ledger.set_trusted_cores(identities(state.cores.values()))


async def trust_first(ledger: Ledger, state: DeclaredState) -> None:
    """On the very first pass (nothing processed yet) the head is the baseline: trust it now,
    before anything is read back."""
    if await ledger.last_processed() is None:
        await trust(ledger, state)


async def checked(source: GitSource, ledger: Ledger, run: Run) -> Run:
    """Refuse a request whose commit is not signed by a trusted signer, when signers are set."""
    allowed = list(await ledger.trusted_signers())
    if not allowed or run.state is not RequestState.CLAIMED:
        return run
    found = await asyncio.to_thread(source.signature, run.commit, ssh_lines(allowed))
    why = refusal(allowed, run.commit, found)
    return replace(run, state=RequestState.REFUSED, note=why) if why else run


async def claim(ledger: Ledger, run: Run) -> Run | None:
    """Record the run once; a run whose id another commit took is refused under a new id.

    Answers the run as recorded, or None when this very request was recorded already.
    """
    if await ledger.claim(run):
        return run
    taken = await ledger.run(run.id)
    if taken is None or taken.commit == run.commit:
        return None
    renamed = requests.renamed(run, taken)
    return renamed if await ledger.claim(renamed) else None
