"""Streams: bounded, in-memory publish/subscribe buffers with a backpressure policy.

A stream is one ordered log of events with a cursor per reader. Every reader (a task or a sink
connector) receives every event published after it subscribed, plus whatever the stream still
retains when it subscribes. The log keeps events until every reader has read them; with no reader
at all it keeps them (up to its capacity) for the first reader to come.

The depth is what the slowest reader has not read yet. When the depth reaches the capacity, a
publish follows the stream's backpressure policy: `block` waits for room, `drop` discards the
event and counts it, `timeout` waits a bounded time and then drops and counts. Events are held in
memory only: `wal` and `retention` are accepted and reported, not acted on.

I/O module (asyncio synchronisation; no network or disk).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Event = dict[str, Any]


class Backpressure(StrEnum):
    BLOCK = "block"
    DROP = "drop"
    TIMEOUT = "timeout"


@dataclass(slots=True)
class Counters:
    """What one connector or task has done since the Core started (mutable on purpose)."""

    events_in: int = 0
    events_out: int = 0
    dropped: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "events_in": self.events_in,
            "events_out": self.events_out,
            "dropped": self.dropped,
            "errors": self.errors,
        }


class Stream:
    """One named buffer; all methods run on the event loop that created it."""

    def __init__(
        self, name: str, capacity: int, backpressure: Backpressure, timeout_seconds: float
    ) -> None:
        self.name = name
        self.capacity = capacity
        self.backpressure = backpressure
        self.timeout_seconds = timeout_seconds
        self.dropped = 0
        self._log: deque[Event] = deque()
        self._base = 0  # sequence number of self._log[0]
        self._cursors: dict[int, int] = {}
        self._ids = itertools.count()
        self._changed = asyncio.Condition()

    @property
    def depth(self) -> int:
        end = self._base + len(self._log)
        return end - min(self._cursors.values(), default=self._base)

    def metrics(self) -> dict[str, int]:
        return {"depth": self.depth, "capacity": self.capacity, "dropped": self.dropped}

    async def publish(self, event: Event) -> bool:
        """Append `event`; False when the backpressure policy dropped it (and counted it)."""
        async with self._changed:
            if self.depth >= self.capacity and not await self._room():
                self.dropped += 1
                return False
            self._log.append(event)
            self._changed.notify_all()
            return True

    async def _room(self) -> bool:
        def has_room() -> bool:
            return self.depth < self.capacity

        if self.backpressure is Backpressure.DROP:
            return False
        if self.backpressure is Backpressure.BLOCK:
            await self._changed.wait_for(has_room)
            return True
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self._changed.wait_for(has_room)
        except TimeoutError:
            return False
        return True

    async def subscribe(self) -> Subscription:
        """A new reader, starting at the oldest event the stream still holds."""
        async with self._changed:
            reader = next(self._ids)
            self._cursors[reader] = self._base
            return Subscription(self, reader)

    async def set_backpressure(self, backpressure: Backpressure) -> None:
        async with self._changed:
            self.backpressure = backpressure
            self._changed.notify_all()

    async def _read(self, reader: int, limit: int) -> list[Event]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._unread(reader) > 0)
            start = self._cursors[reader] - self._base
            batch = list(itertools.islice(self._log, start, start + limit))
            self._cursors[reader] += len(batch)
            self._trim()
            self._changed.notify_all()
            return batch

    async def _leave(self, reader: int) -> None:
        async with self._changed:
            self._cursors.pop(reader, None)
            self._trim()
            self._changed.notify_all()

    def _unread(self, reader: int) -> int:
        return self._base + len(self._log) - self._cursors[reader]

    def _trim(self) -> None:
        if not self._cursors:
            return
        lowest = min(self._cursors.values())
        while self._base < lowest:
            self._log.popleft()
            self._base += 1


class Subscription:
    """One reader's position in a stream."""

    def __init__(self, stream: Stream, reader: int) -> None:
        self.stream = stream
        self._reader = reader
        self._open = True

    async def read(self, limit: int = 100) -> list[Event]:
        """The next events (at least one, at most `limit`), waiting until there are some."""
        return await self.stream._read(self._reader, limit)

    async def close(self) -> None:
        if self._open:
            self._open = False
            await self.stream._leave(self._reader)
