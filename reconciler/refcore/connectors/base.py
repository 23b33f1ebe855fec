"""What every connector shares: its context, event emission for sources, the read loop of sinks.

Counters mean the same for every class. A source counts `events_in` for each event it takes in
from outside, `events_out` for each one its stream accepted and `dropped` for each one the
stream's backpressure refused. A sink counts `events_in` for each event it read from its stream,
`events_out` for each one delivered, `errors` for failed deliveries and `dropped` for events it
gave up on.

I/O module (asyncio).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.refcore.streams import Counters, Event, Stream, Subscription

log = logging.getLogger("reconciler.refcore.connectors")


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a connector needs from the Core."""

    name: str
    config: Mapping[str, Any]
    stream: Stream
    counters: Counters
    data_dir: Path

    def resolve(self, path: str) -> Path:
        """A configured path; relative paths resolve against the Core's data directory."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.data_dir / candidate


class Source(ABC):
    """A connector that brings events from outside into its stream."""

    def __init__(self, context: Context) -> None:
        self.context = context

    async def emit(self, event: Event) -> None:
        counters = self.context.counters
        counters.events_in += 1
        if await self.context.stream.publish(event):
            counters.events_out += 1
        else:
            counters.dropped += 1

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def run(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...


class Sink(ABC):
    """A connector that reads its stream and delivers batches of events outside."""

    batch_size = 100

    def __init__(self, context: Context) -> None:
        self.context = context
        self._subscription: Subscription | None = None

    async def open(self) -> None:
        self._subscription = await self.context.stream.subscribe()
        await self.connect()

    async def run(self) -> None:
        assert self._subscription is not None, "run() follows a successful open()"
        while True:
            batch = await self._subscription.read(self.batch_size)
            self.context.counters.events_in += len(batch)
            await self.deliver(batch)

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
        await self.disconnect()

    async def connect(self) -> None:  # noqa: B027 (optional hook; most sinks connect lazily)
        """Acquire what delivery needs; failing here fails the start."""

    async def disconnect(self) -> None:  # noqa: B027 (optional hook, paired with connect)
        """Release what `connect` and `deliver` acquired."""

    @abstractmethod
    async def deliver(self, batch: list[Event]) -> None: ...


def event_from_text(line: str) -> Event:
    """A line holding a JSON object is that object; any other line is `{"message": line}`."""
    try:
        value = json.loads(line)
    except ValueError:
        return {"message": line}
    return value if isinstance(value, dict) else {"message": line}


def compact(event: Event) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


class Backoff:
    """Delays that double from `first` up to `limit`, for reconnecting."""

    def __init__(self, first: float = 0.1, limit: float = 5.0) -> None:
        self.first = first
        self.limit = limit
        self.current = first

    async def wait(self) -> None:
        await asyncio.sleep(self.current)
        self.current = min(self.current * 2, self.limit)

    def reset(self) -> None:
        self.current = self.first


class TcpLink:
    """An outgoing TCP connection that is opened on demand and reopened with backoff.

    `send` returns once the payload was written, however many reconnects that took, counting
    each failed try as an error; a payload cut by a broken connection is sent again whole.
    """

    def __init__(self, host: str, port: int, counters: Counters) -> None:
        self.host, self.port = host, port
        self.counters = counters
        self._writer: asyncio.StreamWriter | None = None
        self._backoff = Backoff()

    async def send(self, payload: bytes) -> None:
        while not await self._try(payload):
            self.counters.errors += 1
            await self._backoff.wait()

    async def _try(self, payload: bytes) -> bool:
        try:
            if self._writer is None:
                _, self._writer = await asyncio.open_connection(self.host, self.port)
            self._writer.write(payload)
            await self._writer.drain()
        except OSError:
            await self.close()
            return False
        self._backoff.reset()
        return True

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None
