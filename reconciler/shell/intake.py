"""Request intake (SPEC §4, §5): new commits become recorded requests, exactly once.

The commits since the last processed one are read for markers and trailers; each request is
turned into a run (refused, superseded or claimed) and recorded in the ledger before anything
runs. With `deploy.allowed_signers` in force, a request whose commit is not signed by a trusted
signer is refused; the signers in force are those of the baseline or of the last deployed
state, never of the commit being judged. A request id already taken by another commit is
recorded as refused under a distinct id. I/O module (Git, ledger).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from reconciler.decide import markers, requests
from reconciler.decide.declared.parse import StateAt
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
    if since is not None and not await asyncio.to_thread(source.is_ancestor, since, head):
        log.warning("history was rewritten; %s is the new baseline", head[:12])
        since = None
    recorded: list[Run] = []
    if since is None:
        await trust(ledger, state)
    else:
        history = await asyncio.to_thread(source.commits, since, head)
        found = markers.verdicts(markers.requests(history, state.settings.report_dir))
        newest = requests.newest_deploy(found)
        for request, verdict in found:
            run = requests.to_run(request, verdict, await state_at(request.commit), newest)
            kept = await claim(ledger, await checked(source, ledger, run))
            recorded += [kept] if kept is not None else []
    await ledger.set_last_processed(head)
    return tuple(recorded)


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
