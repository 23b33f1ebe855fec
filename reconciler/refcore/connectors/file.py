"""The file connector: a source that tails a file, a sink that appends JSON lines.

The source starts at the file's end (only lines written after start are read), waits for a
missing file to appear (then reads it from its beginning), and follows rotation: when the path
names a new file (rename and re-create) it finishes the old one and reads the new one from its
beginning; when the file shrinks (truncation) it starts over at its beginning. A line holding a
JSON object is that object, any other line is `{"message": line}`; blank lines are skipped, and
a line without its newline yet waits for the rest. Polling, every 50 ms, keeps this portable.

The sink appends one compact JSON object per line, creating parent folders. Relative paths
resolve against the Core's data directory.

I/O module (files).
"""

from __future__ import annotations

import asyncio
import os
from typing import BinaryIO, TextIO

from reconciler.refcore.connectors.base import Context, Sink, Source, compact, event_from_text
from reconciler.refcore.runtime import WorkerError
from reconciler.refcore.streams import Event

POLL_SECONDS = 0.05
_CHUNK = 1 << 16
_MAX_LINE = 1 << 20


class FileSource(Source):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.path = context.resolve(str(context.config["path"]))
        self._handle: BinaryIO | None = None
        self._inode: int | None = None
        self._partial = b""

    async def open(self) -> None:
        if self.path.exists():
            self._open_at(end=True)

    async def run(self) -> None:
        while True:
            await self._poll()
            await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    async def _poll(self) -> None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            status = None
        if self._handle is not None:
            if status is not None and status.st_ino == self._inode:
                if status.st_size < self._handle.tell():
                    self._handle.seek(0)  # truncated in place: start over
                    self._partial = b""
            else:
                await self._drain()  # rotated away: finish what the old file holds
                await self.close()
        if self._handle is None and status is not None:
            self._open_at(end=False)
        if self._handle is not None:
            await self._drain()

    def _open_at(self, *, end: bool) -> None:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 (held open across polls; closed in close())
        except OSError as error:
            raise WorkerError(f"cannot open {self.path}: {error.strerror}") from error
        if end:
            handle.seek(0, os.SEEK_END)
        self._handle, self._inode, self._partial = handle, os.fstat(handle.fileno()).st_ino, b""

    async def _drain(self) -> None:
        assert self._handle is not None
        while chunk := self._handle.read(_CHUNK):
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            if len(self._partial) > _MAX_LINE:
                lines.append(self._partial)
                self._partial = b""
            for line in lines:
                text = line.decode("utf-8", errors="replace").rstrip("\r")
                if text.strip():
                    await self.emit(event_from_text(text))


class FileSink(Sink):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.path = context.resolve(str(context.config["path"]))
        self._handle: TextIO | None = None

    async def connect(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (see disconnect)
        except OSError as error:
            raise WorkerError(f"cannot open {self.path} for appending: {error.strerror}") from error

    async def disconnect(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    async def deliver(self, batch: list[Event]) -> None:
        assert self._handle is not None
        counters = self.context.counters
        try:
            self._handle.write("".join(compact(event) + "\n" for event in batch))
            self._handle.flush()
        except OSError as error:
            counters.errors += 1
            counters.dropped += len(batch)
            raise WorkerError(f"cannot write {self.path}: {error.strerror}") from error
        counters.events_out += len(batch)
