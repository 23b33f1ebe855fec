"""The padas connector: events between two Cores over TCP.

Wire format: each event is one frame, a 4-byte big-endian unsigned length followed by that many
bytes of UTF-8 JSON holding one object. Frames larger than 1 MiB are refused (the connection is
closed and the error counted). There is no handshake and no acknowledgement.

The source binds `endpoint` (`host:port`) and accepts any number of senders. The sink connects to
`endpoint` and, when the connection cannot be made or breaks, reconnects with backoff (0.1 s
doubling to 5 s) and sends the batch again, so a peer that goes away loses nothing it had not yet
been sent (a batch cut mid-way may arrive twice).

I/O module (sockets).
"""

from __future__ import annotations

import asyncio
import json

from reconciler.refcore.connectors.base import Context, Sink, Source, TcpLink, compact
from reconciler.refcore.runtime import WorkerError
from reconciler.refcore.specs import host_port
from reconciler.refcore.streams import Event

MAX_FRAME = 1 << 20


def frame(event: Event) -> bytes:
    """One event on the wire."""
    body = compact(event).encode("utf-8")
    return len(body).to_bytes(4, "big") + body


async def read_frame(reader: asyncio.StreamReader) -> Event | None:
    """The next event, or None at a clean end of stream; raises ValueError on a bad frame."""
    try:
        header = await reader.readexactly(4)
    except asyncio.IncompleteReadError as error:
        if error.partial:
            raise ValueError("connection closed inside a frame header") from error
        return None
    length = int.from_bytes(header, "big")
    if length > MAX_FRAME:
        raise ValueError(f"frame of {length} bytes is larger than {MAX_FRAME}")
    value = json.loads((await reader.readexactly(length)).decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("frame does not hold a JSON object")
    return value


def _endpoint(context: Context) -> tuple[str, int]:
    parsed = host_port(str(context.config["endpoint"]))
    assert parsed is not None, "specs.normalize checked the endpoint"
    return parsed


class PadasSource(Source):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.host, self.port = _endpoint(context)
        self._server: asyncio.Server | None = None
        self._peers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as error:
            where = f"{self.host}:{self.port}"
            raise WorkerError(f"cannot listen on {where}: {error.strerror or error}") from error

    async def run(self) -> None:
        await asyncio.Event().wait()  # the server's connection handlers do the work

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._peers.add(writer)
        try:
            while (event := await read_frame(reader)) is not None:
                await self.emit(event)
        except (ValueError, OSError, asyncio.IncompleteReadError):
            self.context.counters.errors += 1
        finally:
            self._peers.discard(writer)
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for peer in list(self._peers):
            peer.close()  # asyncio.Server.close() leaves accepted connections open


class PadasSink(Sink):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.host, self.port = _endpoint(context)
        self._link = TcpLink(self.host, self.port, context.counters)

    async def deliver(self, batch: list[Event]) -> None:
        await self._link.send(b"".join(frame(event) for event in batch))
        self.context.counters.events_out += len(batch)

    async def disconnect(self) -> None:
        await self._link.close()
