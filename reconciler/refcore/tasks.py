"""Task workers: read a stream, run PDL on each event, publish to every sink stream.

A processing task runs its one program (`query`). A detection task runs its saved queries in
order and emits the event as the first matching query left it, tagged with that query's id in a
field `query_id`; events no query matches are not emitted. Counters: `events_in` per event read,
`events_out` per event emitted (once, whatever the number of sink streams), `dropped` per
delivery a sink stream's backpressure refused, `errors` per event the program could not handle.

I/O module (asyncio).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reconciler.refcore.pdl import Program
from reconciler.refcore.pdlrun import run
from reconciler.refcore.streams import Counters, Event, Stream, Subscription

Transform = Callable[[Event], Event | None]


def processing(program: Program) -> Transform:
    return lambda event: run(program, event)


def detection(queries: Sequence[tuple[str, Program]]) -> Transform:
    def first_match(event: Event) -> Event | None:
        for query_id, program in queries:
            result = run(program, event)
            if result is not None:
                return {**result, "query_id": query_id}
        return None

    return first_match


class TaskWorker:
    """One running task."""

    batch_size = 100

    def __init__(
        self, source: Stream, sinks: Sequence[Stream], transform: Transform, counters: Counters
    ) -> None:
        self.source = source
        self.sinks = tuple(sinks)
        self.transform = transform
        self.counters = counters
        self._subscription: Subscription | None = None

    async def open(self) -> None:
        self._subscription = await self.source.subscribe()

    async def run(self) -> None:
        assert self._subscription is not None, "run() follows a successful open()"
        while True:
            for event in await self._subscription.read(self.batch_size):
                await self._handle(event)

    async def _handle(self, event: Event) -> None:
        self.counters.events_in += 1
        try:
            result = self.transform(event)
        except (ValueError, TypeError, RecursionError):
            self.counters.errors += 1
            return
        if result is None:
            return
        self.counters.events_out += 1
        for sink in self.sinks:
            if not await sink.publish(result):
                self.counters.dropped += 1

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
