"""The http connector: a source that polls an endpoint, a sink that posts batches.

The source requests `endpoint` with `method` (default GET) every `interval_ms` (default 10000,
the first request right at start). A JSON object response is one event, a JSON array holds one
event per element (objects as they are, other values as `{"message": value}`), and any other
body is `{"message": text}`. A failed request or an error status counts in `errors` and the
source tries again at the next interval.

The sink sends each batch (up to 100 events) as one JSON array with `method` (default POST). A
failed request is tried `retry_attempts` more times (default 3) with doubling delays; after that
the batch counts in `errors` and its events in `dropped`. `timeout_seconds` (default 10) bounds
each request on both sides.

I/O module (HTTP through httpx).
"""

from __future__ import annotations

import asyncio

import httpx

from reconciler.refcore.connectors.base import Backoff, Context, Sink, Source, log
from reconciler.refcore.streams import Event


def _timeout(context: Context) -> float:
    return float(context.config.get("timeout_seconds", 10))


def events_from_response(response: httpx.Response) -> list[Event]:
    """The events an HTTP response body holds."""
    try:
        body = response.json()
    except ValueError:
        return [{"message": response.text}] if response.text.strip() else []
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        return [item if isinstance(item, dict) else {"message": item} for item in body]
    return [{"message": body}]


class HttpSource(Source):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.endpoint = str(context.config["endpoint"])
        self.method = str(context.config["method"])
        self.interval = int(context.config["interval_ms"]) / 1000
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._client = httpx.AsyncClient(timeout=_timeout(self.context))

    async def run(self) -> None:
        while True:
            await self._poll()
            await asyncio.sleep(self.interval)

    async def _poll(self) -> None:
        assert self._client is not None
        try:
            response = await self._client.request(self.method, self.endpoint)
            response.raise_for_status()
        except httpx.HTTPError as error:
            self.context.counters.errors += 1
            log.warning("http source %r: %s", self.context.name, type(error).__name__)
            return
        for event in events_from_response(response):
            await self.emit(event)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class HttpSink(Sink):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.endpoint = str(context.config["endpoint"])
        self.method = str(context.config["method"])
        self.attempts = 1 + int(context.config.get("retry_attempts", 3))
        self._client: httpx.AsyncClient | None = None

    async def connect(self) -> None:
        self._client = httpx.AsyncClient(timeout=_timeout(self.context))

    async def deliver(self, batch: list[Event]) -> None:
        counters = self.context.counters
        backoff = Backoff(first=0.2)
        for attempt in range(self.attempts):
            if attempt:
                await backoff.wait()
            if await self._send(batch):
                counters.events_out += len(batch)
                return
        counters.errors += 1
        counters.dropped += len(batch)

    async def _send(self, batch: list[Event]) -> bool:
        assert self._client is not None
        try:
            response = await self._client.request(self.method, self.endpoint, json=batch)
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("http sink %r: %s", self.context.name, type(error).__name__)
            return False
        return True

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
