"""A rollback's revision, checked against the source before anything is deployed (SPEC §4).

A Deploy All marker may name `revision: <commit>`: the run then deploys the declared state at
that commit. Anyone who can push can write a marker, so the revision must be a commit the
clone holds and an ancestor of the marker's own commit, which is on the tracked branch: a
rollback goes back along the branch's history, never to a commit from elsewhere (another branch,
a fork, a pull request ref). Anything else refuses the run with one sentence, deploying nothing.
I/O module (Git, in a worker thread).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from reconciler.decide.outcomes import Run, RunKind
from reconciler.shell.repo.source import GitSource


async def resolved(source: GitSource, run: Run) -> tuple[Run, str | None]:
    """The run with its rollback revision as a full commit id, or the reason to refuse it."""
    if run.kind is not RunKind.DEPLOY or run.revision is None:
        return run, None
    named = run.revision
    found = await asyncio.to_thread(source.resolve, named)
    if found is None:
        return run, (
            f"the marker's revision {named} is no commit of the repository (or an ambiguous "
            "prefix); nothing was deployed"
        )
    if not await asyncio.to_thread(source.is_ancestor, found, run.commit):
        return run, (
            f"the marker's revision {named} is not an ancestor of its commit {run.commit[:12]} "
            "on the tracked branch; nothing was deployed"
        )
    return replace(run, revision=found), None
