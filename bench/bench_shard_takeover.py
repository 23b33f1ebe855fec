"""Takeover time of a shard (`--shards`): a replica dies, until a survivor holds its shard.

Starts a throwaway PostgreSQL server (as the tests do), then N times (default 10) runs three
replicas' shard leases (`ShardLeases`, three shards) in this process, waits until each holds
one shard, and takes one away the way SIGKILL does: its tasks stop and its lease connections
close, its heartbeat row stays behind (nobody deletes it). It measures from that moment until
another replica holds the orphaned shard: the dead one's heartbeat must be a lease old before
the survivors' quota grows (`pgshards`). Prints the median and the worst per lease length. Run:
`python -m bench.bench_shard_takeover [TAKEOVERS] [TTL_SECONDS ...]` (default 10 takeovers of
2 s leases).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time

from reconciler.decide.shards import REPORT, shard_of
from reconciler.shell.ledger.pgshards import ShardLeases
from reconciler.shell.ledger.postgres import PostgresLedger
from tests.support.postgres import PostgresServer

SHARDS = 3


async def until(probe: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


def replica(ledger: PostgresLedger, url: str, name: str, ttl: float) -> ShardLeases:
    ledger.route(lambda core: shard_of(core, SHARDS), REPORT)
    return ShardLeases(
        ledger, url, name, SHARDS, ttl, on_taken=ledger.fence, on_lost=lambda s: ledger.fence(s, 0)
    )


async def one_takeover(url: str, ttl: float, index: int) -> float:
    """Seconds from a replica's death until another one holds its shard."""
    ledgers = [await PostgresLedger.open(url) for _ in range(3)]
    replicas = [replica(ledger, url, f"r{index}-{n}", ttl) for n, ledger in enumerate(ledgers)]
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(r.keep()) for r in replicas]
    await until(lambda: all(len(r.held()) == 1 for r in replicas))
    victim, survivors = replicas[index % 3], [r for n, r in enumerate(replicas) if n != index % 3]
    [orphan] = victim.held()
    tasks[index % 3].cancel()  # the process is gone: no heartbeat, no renewal
    started = time.perf_counter()
    for lease in (*victim.leases.values(), victim.report):
        lease.epoch = None  # a dead process marks nothing released (`PgLease.release`)
        await lease.release()  # its connections close, as when the process dies
    await until(lambda: any(orphan in r.held() for r in survivors))
    elapsed = time.perf_counter() - started
    for r in survivors:
        await r.release()
    await asyncio.gather(*tasks, return_exceptions=True)
    for ledger in ledgers:
        await ledger.close()
    return elapsed


async def measure(url: str, takeovers: int, ttls: list[float]) -> None:
    await (await PostgresLedger.open(url)).close()  # the schema, shard tables included
    print(f"{takeovers} shard takeovers each; 3 replicas, {SHARDS} shards, renewed every ttl/3")
    print(f"{'ttl':>6} {'median':>8} {'worst':>8}")
    for ttl in ttls:
        times = [await one_takeover(url, ttl, i) for i in range(takeovers)]
        print(f"{ttl:>5.1f}s {statistics.median(times):>7.2f}s {max(times):>7.2f}s")


def main(argv: list[str]) -> None:
    takeovers = int(argv[0]) if argv else 10
    ttls = [float(value) for value in argv[1:]] or [2.0]
    logging.disable(logging.WARNING)  # the leases' rebalancing lines are not the figures
    server = PostgresServer.create()
    try:
        server.start()
        asyncio.run(measure(server.database("bench_shard_takeover"), takeovers, ttls))
    finally:
        server.remove()


if __name__ == "__main__":
    main(sys.argv[1:])
