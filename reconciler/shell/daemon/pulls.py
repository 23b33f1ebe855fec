"""`PullWatcher`: the plan of every open pull request, as a status and one comment on it.

It looks at the open pull requests on the fetch interval, after a pass that changed something,
and when the host's webhook says a pull request moved (which only means "go and look"). For
each one whose changed files touch the declared state it:

1. fetches the pull request's head from the origin (`refs/pull/N/head` or the host's form)
   into the daemon's clone, under `refs/reconciler/`;
2. reads the declared state at that head (with the same token rules as the passes);
3. plans it against what is deployed now: the records and readbacks of the last pass;
4. queues a `reconciler/plan` status and the comment's parts (`decide.forge`) in the outbox,
   when they differ from what it queued last for that pull request.

Its own clone object (`GitSource` on the same folder) and state reader keep it apart from the
passes, which it never waits for or holds up. A host that cannot list pull requests is logged
and tried again at the next look. I/O module (Git, the host, asyncio).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

from reconciler.decide.declared.parse import StateAt
from reconciler.decide.forge import plan_body, plan_comment, plan_status, touches_declared
from reconciler.decide.model import DeclaredState
from reconciler.decide.plan import plan
from reconciler.decide.planview import plan_markdown
from reconciler.decide.report import ReportInputs
from reconciler.decide.trust import TokenPolicy
from reconciler.shell.forge.api import Forge, ForgeError, PullRequest
from reconciler.shell.forge.hostapi import HostApi
from reconciler.shell.forge.outbox import CommentParts, Outbox
from reconciler.shell.listeners import PassEvent, PassFinished, Rows, Triggered
from reconciler.shell.repo.source import GitSource
from reconciler.shell.repo.states import StateReader

log = logging.getLogger(__name__)
_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


class PullWatcher:
    """See the module docstring."""

    def __init__(
        self,
        forge: Forge,
        outbox: Outbox,
        api: HostApi,
        source: GitSource,
        tokens: TokenPolicy,
        *,
        report_dir: Callable[[], str] = lambda: "status",
    ) -> None:
        self.forge = forge
        self.outbox = outbox
        self.api = api
        self.source = source
        self.reader = StateReader(source, tokens=tokens)
        self.report_dir = report_dir
        self.due = asyncio.Event()
        self.inputs: ReportInputs | None = None
        self._queued: dict[int, tuple[str, ...]] = {}

    def heard(self, event: PassEvent) -> None:
        match event:
            case Rows(report=report):
                self.inputs = report
            case PassFinished(changed=True) | Triggered(reason="interval"):
                self.look()
            case _:
                pass

    def look(self) -> None:
        """Ask for a look at the open pull requests (a webhook, the interval, a pass)."""
        self.due.set()

    async def run(self, stopping: asyncio.Event) -> None:
        stopper = asyncio.ensure_future(stopping.wait())
        try:
            while not stopping.is_set():
                waker = asyncio.ensure_future(self.due.wait())
                await asyncio.wait({waker, stopper}, return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                if stopping.is_set():
                    return
                self.due.clear()
                try:
                    await self.look_once()
                except Exception:  # a bug must not end the watcher: the next look tries again
                    log.exception("looking at the pull requests failed")
        finally:
            stopper.cancel()

    async def look_once(self) -> None:
        """One look: every open pull request touching the declared state, planned and queued."""
        if self.inputs is None:
            return  # no pass yet: nothing known of what is deployed
        try:
            pulls = await self.forge.open_pulls()
        except ForgeError as error:
            log.warning("cannot list the open pull requests: %s", error)
            return
        chosen = [
            pull
            for pull in pulls
            if _SHA.match(pull.sha) and touches_declared(pull.files, self.report_dir())
        ]
        refs = [self.api.pull_ref.format(number=pull.number) for pull in chosen]
        if refs:
            await asyncio.to_thread(self.source.fetch_refs, refs)
        for pull in chosen:
            try:
                await self.planned(pull, self.inputs)
            except Exception:
                log.exception("the plan of pull request %d failed", pull.number)
        open_numbers = {pull.number for pull in pulls}
        self._queued = {n: parts for n, parts in self._queued.items() if n in open_numbers}

    async def planned(self, pull: PullRequest, inputs: ReportInputs) -> None:
        if not await asyncio.to_thread(self.source.has_commit, pull.sha):
            log.info("pull request %d: head %s not fetched yet", pull.number, pull.sha[:12])
            return
        found: StateAt = await asyncio.to_thread(self.reader.state_at, pull.sha)
        limit = self.api.description_limit
        label = f"pull request #{pull.number} at {pull.sha[:12]}"
        if isinstance(found, DeclaredState):
            made = plan(found, inputs.records, inputs.observations, pull.sha)
            status = plan_status(pull.sha, made, (), limit)
            body = plan_body(plan_markdown(made, label), pull.sha, made.digest)
        else:
            problems = tuple(str(problem) for problem in found.problems)
            status = plan_status(pull.sha, None, problems, limit)
            body = plan_body(_invalid(problems), pull.sha, None)
        parts = plan_comment(body, self.api.comment_limit)
        if self._queued.get(pull.number) == (status.description, *parts):
            return
        self._queued[pull.number] = (status.description, *parts)
        self.outbox.put(status)
        self.outbox.put(CommentParts(pull.number, parts))


def _invalid(problems: tuple[str, ...]) -> str:
    """The problems as an indented code block: nothing in them can end it or become markup."""
    lines = ["### The declared state at this head is invalid", "", "Nothing here can deploy:", ""]
    lines += ["    " + " ".join(problem.split()) for problem in problems[:50]]
    if len(problems) > 50:
        lines.append(f"\n…and {len(problems) - 50} more.")
    return "\n".join(lines) + "\n"
