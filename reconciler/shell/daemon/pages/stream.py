"""`GET /events`: the live stream a page follows (server-sent events), one per browser tab.

On connect the stream sends the current snapshot's id, then one `snapshot` event each time a
pass or a refresh publishes, and a comment every `HEARTBEAT` seconds in between (so a proxy
keeps it open and a gone client is noticed). An event carries the snapshot's id, when its data
was made and the server's clock, never the data: the page fetches itself again, so what it
shows always comes from the one server-side rendering. `retry` asks the browser to reconnect
after `RETRY_MS` when the stream ends, which it does after a daemon restart.

A stream is admitted only while fewer than `PageFeed.limit` are open; the others get 503 with
`Retry-After`, and the page's script retries them later. The slot is given back however the
stream ends. I/O module (HTTP).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from reconciler.shell.daemon.pages.feed import PageFeed, Snapshot

HEARTBEAT = 15.0
RETRY_MS = 2000
FULL_RETRY_SECONDS = 10


class EventStream:
    """The ASGI app of `/events`."""

    def __init__(self, feed: PageFeed, clock: Callable[[], datetime]) -> None:
        self.feed = feed
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.feed.admit():
            busy = PlainTextResponse(
                "too many live pages are open; this one retries later\n",
                503,
                headers={"Retry-After": str(FULL_RETRY_SECONDS)},
            )
            await busy(scope, receive, send)
            return
        try:
            response = StreamingResponse(
                self.events(),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            )
            await response(scope, receive, send)
        finally:
            self.feed.release()

    async def events(self) -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        seen: str | None = None
        while not self.feed.closed:
            snapshot = await self.feed.changed(seen, HEARTBEAT)
            if snapshot is None:
                if not self.feed.closed:
                    yield ": still here\n\n"
                continue
            seen = snapshot.id
            yield self.message(snapshot)

    def message(self, snapshot: Snapshot) -> str:
        data = {
            "id": snapshot.id,
            "generated_at": snapshot.report.now.isoformat(),
            "now": self.clock().isoformat(),
        }
        return f"event: snapshot\ndata: {json.dumps(data)}\n\n"
