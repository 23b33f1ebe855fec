"""`Outbox`: what is to be told to the Git host, drained by a task of its own.

Callers (the pass listener, the pull request watcher) only put values in and never wait, so a
slow, failing or rate-limiting host never holds up a pass or a deploy. Two kinds of work:

- statuses, keyed by (sha, context): a newer status for the same key replaces one not yet
  delivered (newest wins), and a status the host failed to take is kept and retried until it
  lands;
- plan comments, keyed by pull request: the newest parts replace older ones; delivering them
  finds the reconciler's comment by its hidden marker, among the comments of the token's own
  user only (anyone may write the marker), and edits it in place (a part not there yet is
  created, a part no longer needed says so).

A transient failure (connection, 5xx, rate limit) waits, then retries the same item: the wait
is what the host asked for (`Retry-After`, the rate-limit reset), else a backoff doubling from
`backoff` to `max_backoff`. A permanent one (401, 403, 404, 422) drops that item and says why in
the log and in `state()`, shown by `/readyz`. I/O module (asyncio, logging).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.decide.forge import Status, part_header, part_index
from reconciler.shell.forge.api import Forge, ForgeError

log = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0
MAX_WAIT = 900.0
"""The longest a host's `Retry-After` or reset is waited at once before the next try."""
MAX_QUEUED = 1000
"""The most items kept while the host is away; past it the oldest go (counted as dropped)."""


@dataclass(frozen=True, slots=True)
class CommentParts:
    number: int
    parts: tuple[str, ...]


Item = Status | CommentParts


class Outbox:
    """See the module docstring."""

    def __init__(
        self,
        forge: Forge,
        host: str,
        retried: Callable[[], None] = lambda: None,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
    ) -> None:
        self.forge = forge
        self.host = host
        self.retried = retried
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._items: dict[tuple[str, str] | int, Item] = {}
        self._wake = asyncio.Event()
        self._failures = 0
        self.delivered = 0
        self.dropped = 0
        self.last_error: str | None = None
        self.retry_at: float | None = None
        self._me: str | None = None

    def put(self, item: Item) -> None:
        """Queue `item`, replacing an undelivered one for the same status or pull request."""
        key = item.key if isinstance(item, Status) else item.number
        self._items.pop(key, None)  # the newest goes to the back of the line
        self._items[key] = item
        while len(self._items) > MAX_QUEUED:
            oldest = next(iter(self._items))
            del self._items[oldest]
            self.dropped += 1
            self.last_error = f"more than {MAX_QUEUED} items waited for {self.host}: oldest dropped"
        self._wake.set()

    def state(self) -> dict[str, Any]:
        """For `/readyz`: what is queued, delivered and dropped, and the last problem."""
        waiting = None if self.retry_at is None else max(0.0, round(self.retry_at - time.time()))
        return {
            "host": self.host,
            "queued": len(self._items),
            "delivered": self.delivered,
            "dropped": self.dropped,
            "last_error": self.last_error,
            "retrying_in_seconds": waiting,
        }

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until `stopping` is set; what is queued then gets `FLUSH_SECONDS` more."""
        stopper = asyncio.ensure_future(stopping.wait())
        try:
            while not stopping.is_set():
                if not self._items:
                    self._wake.clear()
                    waker = asyncio.ensure_future(self._wake.wait())
                    await asyncio.wait({waker, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    waker.cancel()
                    continue
                delay = await self.deliver_one()
                if delay:
                    await asyncio.wait({stopper}, timeout=delay)
        finally:
            stopper.cancel()
        await self.flush()

    async def flush(self) -> None:
        """A last try at what is queued, for a few seconds and without waiting out failures."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_SECONDS):
                while self._items and not await self.deliver_one():
                    pass

    async def deliver_one(self) -> float:
        """Deliver the oldest item; returns how long to wait before the next try (0: none)."""
        key, item = next(iter(self._items.items()))
        try:
            await self._deliver(item)
        except ForgeError as error:
            return self._failed(key, item, error)
        except Exception as error:  # a bug must not end the task that every status waits on
            log.exception("delivering to %s failed", self.host)
            return self._failed(key, item, ForgeError(type(error).__name__, False))
        self._failures, self.retry_at = 0, None
        self._done(key, item, dropped=False)
        return 0.0

    def _failed(self, key: tuple[str, str] | int, item: Item, error: ForgeError) -> float:
        """Drop `item` after a permanent failure; else say how long to wait before retrying."""
        self.last_error = str(error)
        if not error.transient:
            log.warning("%s refused, given up: %s", self.host, error)
            self._done(key, item, dropped=True)
            return 0.0
        self._failures += 1
        self.retried()
        backoff = min(self.max_backoff, self.backoff * 2 ** (self._failures - 1))
        delay = min(error.retry_after, MAX_WAIT) if error.retry_after else backoff
        self.retry_at = time.time() + delay
        log.info("%s: %s; trying again in %.0f s", self.host, error, delay)
        return delay

    def _done(self, key: tuple[str, str] | int, item: Item, dropped: bool) -> None:
        if self._items.get(key) is item:  # a newer one put meanwhile stays queued
            del self._items[key]
        self.dropped += dropped
        self.delivered += not dropped

    async def _deliver(self, item: Item) -> None:
        if isinstance(item, Status):
            await self.forge.set_status(item)
        else:
            await self._sync_comment(item)

    async def _sync_comment(self, item: CommentParts) -> None:
        """Make the pull request's marked comments say `item.parts`, editing in place."""
        if self._me is None:
            self._me = await self.forge.whoami()
        ours: dict[int, tuple[int, str]] = {}
        for comment in await self.forge.comments(item.number):
            if comment.author != self._me:
                continue  # anyone may write the marker; only our own comments are ours
            index = part_index(comment.body)
            if index is not None and index not in ours:
                ours[index] = (comment.id, comment.body)
        for index, body in enumerate(item.parts, 1):
            found = ours.get(index)
            if found is None:
                await self.forge.create_comment(item.number, body)
            elif found[1] != body:
                await self.forge.edit_comment(item.number, found[0], body)
        for index in sorted(ours):
            if index > len(item.parts) and ours[index][1] != _unused(index, len(item.parts)):
                await self.forge.edit_comment(
                    item.number, ours[index][0], _unused(index, len(item.parts))
                )


def _unused(index: int, total: int) -> str:
    return part_header(index, index) + f"(The plan has {total} part(s) now; this one is unused.)\n"
