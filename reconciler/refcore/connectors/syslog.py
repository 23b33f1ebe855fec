"""The syslog connector: a UDP/TCP listener that parses messages, and a sender.

Parsing is best effort. RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) and RFC 3164
(`<PRI>Mmm dd hh:mm:ss HOST APP[PID]: MSG`) lines become `{message, app, host, severity,
facility, timestamp, pid, raw}`, with severity and facility as their keywords (`err`, `authpriv`)
and null for what a line does not carry; anything else is `{"message": line, "raw": line}` with
the other fields null. Over TCP, messages are newline-framed; over UDP, one datagram may hold
several lines.

The sink sends each event as one line (a UDP datagram, or a newline-terminated TCP line): an
event that came from syslog (it has a string `raw`) is sent as it arrived; any other becomes an
RFC 5424 line whose MSG is the event's `message` when it is a string, else the event as JSON.

I/O module (sockets).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from reconciler.refcore.connectors.base import Context, Sink, Source, TcpLink, compact
from reconciler.refcore.runtime import WorkerError
from reconciler.refcore.streams import Event

SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    *(f"local{number}" for number in range(8)),
)  # fmt: skip
_RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<timestamp>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) \S+ "
    r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?$",
    re.DOTALL,
)
_RFC3164 = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<timestamp>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) "
    r"(?P<app>[^\s:\[]+)(?:\[(?P<pid>[^\]]*)\])?: ?(?P<message>.*)$",
    re.DOTALL,
)
_PRI_ONLY = re.compile(r"^<(?P<pri>\d{1,3})>(?P<message>.*)$", re.DOTALL)
_QUEUE_SIZE = 10_000
_MAX_LINE = 64 * 1024


def parse(line: str) -> Event:
    """The event one syslog line holds."""
    event: Event = dict.fromkeys(("message", "app", "host", "severity", "facility"))
    event.update(timestamp=None, pid=None, raw=line, message=line)
    match = _RFC5424.match(line) or _RFC3164.match(line) or _PRI_ONLY.match(line)
    if match is None:
        return event
    fields = {key: value for key, value in match.groupdict().items() if value not in (None, "-")}
    priority = int(fields.pop("pri"))
    if priority < len(FACILITIES) * 8:
        event["facility"], event["severity"] = FACILITIES[priority >> 3], SEVERITIES[priority & 7]
    event.update(fields)
    event["message"] = fields.get("message", "")
    return event


def format_line(event: Event) -> str:
    """The line the sink sends for `event`."""
    raw = event.get("raw")
    if isinstance(raw, str):
        return raw
    facility = event.get("facility")
    severity = event.get("severity")
    priority = (FACILITIES.index(facility) if facility in FACILITIES else 1) * 8 + (
        SEVERITIES.index(severity) if severity in SEVERITIES else 5
    )
    message = event.get("message")
    text = message if isinstance(message, str) else compact(event)
    timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    host, app = _token(event.get("host")), _token(event.get("app"), "refcore")
    return f"<{priority}>1 {timestamp} {host} {app} - - - {text}".replace("\n", " ")


def _token(value: object, default: str = "-") -> str:
    return value if isinstance(value, str) and value and " " not in value else default


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, source: SyslogSource) -> None:
        self.source = source

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        for line in data.decode("utf-8", errors="replace").splitlines():
            self.source.offer(line)


class SyslogSource(Source):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.address = str(context.config["address"])
        self.port = int(context.config["port"])
        self.mode = str(context.config["mode"])
        self._lines: asyncio.Queue[str] = asyncio.Queue(_QUEUE_SIZE)
        self._transport: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._peers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        where = f"{self.address}:{self.port}"
        try:
            if self.mode in ("udp", "both"):
                self._transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(self), local_addr=(self.address, self.port)
                )
            if self.mode in ("tcp", "both"):
                self._server = await asyncio.start_server(
                    self._serve, self.address, self.port, limit=_MAX_LINE
                )
        except OSError as error:
            raise WorkerError(f"cannot listen on {where}: {error.strerror or error}") from error

    def offer(self, line: str) -> None:
        if not line.strip():
            return
        try:
            self._lines.put_nowait(line)
        except asyncio.QueueFull:
            self.context.counters.events_in += 1
            self.context.counters.dropped += 1

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._peers.add(writer)
        try:
            while line := await reader.readline():
                self.offer(line.decode("utf-8", errors="replace").rstrip("\r\n"))
        except (ConnectionError, ValueError):
            self.context.counters.errors += 1  # reset, or a line over the limit
        finally:
            self._peers.discard(writer)
            writer.close()

    async def run(self) -> None:
        while True:
            await self.emit(parse(await self._lines.get()))

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for peer in list(self._peers):
            peer.close()  # asyncio.Server.close() leaves accepted connections open


class SyslogSink(Sink):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.address = str(context.config["address"])
        self.port = int(context.config["port"])
        self.mode = str(context.config["mode"])
        self._datagrams: asyncio.DatagramTransport | None = None
        self._link = TcpLink(self.address, self.port, context.counters)

    async def connect(self) -> None:
        if self.mode == "udp":
            loop = asyncio.get_running_loop()
            self._datagrams, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, remote_addr=(self.address, self.port)
            )

    async def deliver(self, batch: list[Event]) -> None:
        lines = [format_line(event) for event in batch]
        if self._datagrams is not None:
            for line in lines:
                self._datagrams.sendto(line.encode("utf-8"))
        else:
            await self._link.send("".join(line + "\n" for line in lines).encode("utf-8"))
        self.context.counters.events_out += len(batch)

    async def disconnect(self) -> None:
        if self._datagrams is not None:
            self._datagrams.close()
            self._datagrams = None
        await self._link.close()
