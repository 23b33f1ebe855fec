"""`ForgeListener`: the pass listener that turns what a pass did into commit statuses.

    Judged            `reconciler/validate` on the head judged (once per head and verdict)
    RequestsRecorded  `reconciler/deploy` on each marker commit: pending, or final when it was
                      refused or superseded as it was taken
    RunsFinished      `reconciler/deploy` with how each run ended

It only puts statuses in the `Outbox`; it never waits for the host. I/O module (through the
outbox it fills).
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.decide.forge import run_status, validate_status
from reconciler.decide.outcomes import Run
from reconciler.shell.forge.outbox import Outbox
from reconciler.shell.listeners import Judged, PassEvent, RequestsRecorded, RunsFinished


class ForgeListener:
    """See the module docstring; `link(run)` is the page a status points to, if any."""

    def __init__(
        self, outbox: Outbox, description_limit: int, link: Callable[[Run], str | None]
    ) -> None:
        self.outbox = outbox
        self.limit = description_limit
        self.link = link
        self._judged: tuple[str, tuple[str, ...]] | None = None

    def heard(self, event: PassEvent) -> None:
        match event:
            case Judged(head=head, refusal=refusal):
                problems = refusal.problems if refusal is not None else ()
                if self._judged != (head, problems):
                    self._judged = (head, problems)
                    self.outbox.put(validate_status(head, problems, self.limit))
            case RequestsRecorded(runs=runs) | RunsFinished(runs=runs):
                for run in runs:
                    self.outbox.put(run_status(run, self.limit, self.link(run)))
            case _:
                pass
