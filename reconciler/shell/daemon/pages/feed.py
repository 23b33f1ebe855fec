"""The pages' pass listener: the latest published snapshot, and the live streams waiting on it.

`PageFeed.heard` keeps what each `Rows` event carries (the report's inputs of a pass or a
readback refresh) together with the declared state judged for it, as one `Snapshot`, and wakes
every stream; it does nothing else, so no page and no slow browser can hold a pass up. Each
snapshot has an id, `<boot>-<number>`: the boot part is new with every daemon process, so a
page that reconnects after a restart sees that its data is from another life and reloads it.

Streams are bounded: `admit` refuses a stream once `limit` are open (the page then retries on
its own), and `Stopping` ends them all, so a daemon told to stop never waits on a browser.
I/O module (the event loop).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.decide.model import DeclaredState
from reconciler.decide.report import Refusal, ReportInputs
from reconciler.shell.listeners import PassEvent, Rows, Stopping
from reconciler.shell.reconcile import Judgement

MAX_STREAMS = 32
"""Live streams open at once (one per browser tab); more are refused with 503 and retried."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the pages show until the next pass or refresh publishes."""

    id: str
    report: ReportInputs
    head: str
    state: DeclaredState | None
    refusal: Refusal | None


class PageFeed:
    """The latest snapshot, and the streams that follow it."""

    def __init__(self, judged: Callable[[], Judgement | None], limit: int = MAX_STREAMS) -> None:
        self._judged = judged
        self.limit = limit
        self.latest: Snapshot | None = None
        self.streams = 0
        self.closed = False
        self._boot = secrets.token_hex(4)
        self._published = 0
        self._changed = asyncio.Event()

    def heard(self, event: PassEvent) -> None:
        match event:
            case Rows(report):
                self.publish(report)
            case Stopping():
                self.close()

    def publish(self, report: ReportInputs) -> None:
        judged = self._judged()
        self._published += 1
        self.latest = Snapshot(
            id=f"{self._boot}-{self._published}",
            report=report,
            head=judged.head if judged is not None else report.revision,
            state=judged.state if judged is not None else None,
            refusal=judged.refusal if judged is not None else report.refused,
        )
        self._wake()

    def close(self) -> None:
        """End every stream, and refuse new ones: the daemon is stopping."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        woken, self._changed = self._changed, asyncio.Event()
        woken.set()

    def admit(self) -> bool:
        """Take a stream slot; False when all are taken or the daemon is stopping."""
        if self.closed or self.streams >= self.limit:
            return False
        self.streams += 1
        return True

    def release(self) -> None:
        self.streams -= 1

    async def changed(self, seen: str | None, timeout: float) -> Snapshot | None:
        """The latest snapshot once it is not `seen`, or None after `timeout` (or on close)."""
        while not self.closed:
            latest = self.latest
            if latest is not None and latest.id != seen:
                return latest
            waiting = self._changed
            try:
                await asyncio.wait_for(waiting.wait(), timeout)
            except TimeoutError:
                return None
        return None
