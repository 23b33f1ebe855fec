"""Takeover time of the PostgreSQL lease: a holder lost, until the standby holds the lease.

Starts a throwaway PostgreSQL server (as the tests do), then, for each lease length, runs two
`PgLease`s of one shard; N times (default 10) it takes the holder away in the two ways a
replica is lost, and measures from that moment until the other one holds the lease:

- `dead`: the holder's process dies, so its lease connection closes (SIGKILL, a crash);
- `frozen`: the holder stops renewing with its connection still open (SIGSTOP, a partition),
  so the standby waits for the lease to run out and terminates that connection.

Prints the median and the worst per lease length and way. Run:
`python -m bench.bench_takeover [TAKEOVERS] [TTL_SECONDS ...]` (default 10 takeovers of 3 s
and 6 s leases).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from reconciler.shell.ledger.pglease import PgLease
from reconciler.shell.ledger.postgres import PostgresLedger
from tests.support.postgres import PostgresServer


async def held(lease: PgLease) -> None:
    while not lease.held():
        await asyncio.sleep(0.01)


async def one_takeover(url: str, ttl: float, how: str, index: int) -> float:
    """Seconds from losing the holder until the standby holds the lease."""
    holder = PgLease(url, f"holder-{index}", ttl=ttl)
    keeping = asyncio.get_running_loop().create_task(holder.keep())
    await held(holder)
    standby = PgLease(url, f"standby-{index}", ttl=ttl)
    standing = asyncio.get_running_loop().create_task(standby.keep())
    await asyncio.sleep(ttl / 2)  # the standby is settled in its own rhythm
    keeping.cancel()  # the holder no longer renews (frozen): its connection stays open
    started = time.perf_counter()
    if how == "dead":
        await holder.release()  # its connection closes, as when the process dies
    await held(standby)
    elapsed = time.perf_counter() - started
    await holder.release()
    await standby.release()
    await standing
    return elapsed


async def measure(url: str, takeovers: int, ttls: list[float]) -> None:
    await (await PostgresLedger.open(url)).close()  # the schema, leases table included
    print(f"{takeovers} takeovers each; lease renewed every ttl/3")
    print(f"{'ttl':>6} {'holder':>7} {'median':>8} {'worst':>8}")
    for ttl in ttls:
        for how in ("dead", "frozen"):
            times = [await one_takeover(url, ttl, how, i) for i in range(takeovers)]
            print(f"{ttl:>5.1f}s {how:>7} {statistics.median(times):>7.2f}s {max(times):>7.2f}s")


def main() -> None:
    takeovers = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    ttls = [float(value) for value in sys.argv[2:]] or [3.0, 6.0]
    server = PostgresServer.create()
    try:
        server.start()
        asyncio.run(measure(server.database("bench_takeover"), takeovers, ttls))
    finally:
        server.remove()


if __name__ == "__main__":
    main()
