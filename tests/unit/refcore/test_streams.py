"""Stream buffers: fan-out, retention for late readers, and the three backpressure policies."""

from __future__ import annotations

import asyncio

from reconciler.refcore.streams import Backpressure, Stream


def test_every_reader_gets_every_event() -> None:
    """Two subscribers both read all events, in order."""

    async def scenario() -> tuple[list[int], list[int]]:
        stream = Stream("s", 10, Backpressure.BLOCK, 0.1)
        first, second = await stream.subscribe(), await stream.subscribe()
        for n in range(3):
            await stream.publish({"n": n})
        return [e["n"] for e in await first.read()], [e["n"] for e in await second.read()]

    assert asyncio.run(scenario()) == ([0, 1, 2], [0, 1, 2])


def test_events_wait_for_the_first_reader() -> None:
    """With no reader, a stream keeps what it was given for the first one to come."""

    async def scenario() -> list[int]:
        stream = Stream("s", 10, Backpressure.BLOCK, 0.1)
        await stream.publish({"n": 1})
        return [e["n"] for e in await (await stream.subscribe()).read()]

    assert asyncio.run(scenario()) == [1]


def test_drop_counts_what_does_not_fit() -> None:
    """A full drop stream refuses and counts."""

    async def scenario() -> tuple[list[bool], dict[str, int]]:
        stream = Stream("s", 2, Backpressure.DROP, 0.1)
        results = [await stream.publish({"n": n}) for n in range(4)]
        return results, stream.metrics()

    assert asyncio.run(scenario()) == (
        [True, True, False, False],
        {"depth": 2, "capacity": 2, "dropped": 2},
    )


def test_timeout_waits_then_drops() -> None:
    """A full timeout stream waits its bounded time, then drops and counts."""

    async def scenario() -> tuple[bool, int]:
        stream = Stream("s", 1, Backpressure.TIMEOUT, 0.05)
        await stream.publish({"n": 0})
        return await stream.publish({"n": 1}), stream.dropped

    assert asyncio.run(scenario()) == (False, 1)


def test_block_waits_for_the_slowest_reader() -> None:
    """A full block stream holds the producer until the slowest reader makes room."""

    async def scenario() -> tuple[bool, bool, int]:
        stream = Stream("s", 1, Backpressure.BLOCK, 0.05)
        fast, slow = await stream.subscribe(), await stream.subscribe()
        await stream.publish({"n": 0})
        blocked = asyncio.create_task(stream.publish({"n": 1}))
        await fast.read()
        await asyncio.sleep(0)  # let the producer see that the fast reader alone makes no room
        waited = not blocked.done()
        await slow.read()
        return waited, await blocked, stream.depth

    assert asyncio.run(scenario()) == (True, True, 1)


def test_leaving_reader_releases_its_backlog() -> None:
    """When a reader leaves, events only it had not read are released."""

    async def scenario() -> int:
        stream = Stream("s", 5, Backpressure.BLOCK, 0.05)
        reader, leaver = await stream.subscribe(), await stream.subscribe()
        await stream.publish({"n": 0})
        await reader.read()
        await leaver.close()
        return stream.depth

    assert asyncio.run(scenario()) == 0
