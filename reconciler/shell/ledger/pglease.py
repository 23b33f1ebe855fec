"""`PgLease`: one active replica per shard, held on PostgreSQL, with an epoch for fencing.

The lease of shard S is two things in the shared ledger database:

- the session advisory lock (`LOCK_CLASS`, S), held on a connection of its own (not the pool's),
  so that only one replica holds it and a replica whose connection is gone has lost it;
- the row S of `leases`: the epoch, incremented at each takeover, who holds it, the backend pid
  of the holding connection and when it last renewed (the database's clock, so the replicas'
  clocks never matter).

`keep()` runs for the life of the replica. A standby tries the lock every `ttl / 3`; when the row
was not renewed for `ttl` (the holder is stopped, partitioned or dead with its connection still
open) it terminates the holder's lease connection (`pg_terminate_backend`: the replicas connect
as the same role) and takes the lock on the next try. Taking it increments the epoch in the
same transaction that records the new holder, and hands the epoch to `on_taken` (the ledger's
`fence`, so every write from then on is refused once the epoch moves on). The holder renews
every `ttl / 3`; a renewal that fails, times out or finds the row moved on is the lease lost at
once (`on_lost`), and so is any error of its connection: fail closed.

`held()` is what the replica checks before every Core operation: True only while the last
renewal *started* less than `ttl` ago by this process's monotonic clock. So a holder believes
it holds the lease for at most `ttl` after the start of its last renewal, whatever happens to
it (frozen by SIGSTOP, its connection cut). A new holder therefore acts (`held()`, `on_taken`)
only once the last renewal of the one before is `ttl` old by the database's clock, which is
after the start of that renewal: the two are never both active. The epoch moves on at once, so
the old holder's ledger writes are refused from the moment of the takeover. What the old holder
does when it wakes: no Core operation (`held()`), no ledger write (the epoch), and it becomes a
standby.

Takeover time, with the lease renewed every `ttl / 3`: a holder that dies with its connection
(SIGKILL, a crash) releases the lock at once; the standby takes it at its next try (within
`ttl / 3`) and acts once the last renewal is `ttl` old, so between `2/3 ttl` and `ttl + ttl / 3`
after the death. A holder that hangs with its connection open (SIGSTOP, a partition) is
replaced once its row is `ttl` old and the standby's next try terminated its connection and
took the lock: within `ttl + 2/3 ttl`. A holder stops acting at most `ttl` after the start of
its last successful renewal, and at the next failed renewal (within `ttl / 3`) when its
connection is lost. `bench/bench_takeover.py` measures both.

With `--shards N` a replica keeps N + 1 of these (`pgshards`): one per shard, and the report
lease (object `REPORT`). Then `wants` holds a replica to its share: a lease it does not want
is neither tried for nor taken over (its holder is not terminated), and one it holds but no
longer wants is given up at its next renewal, exactly like a lost one (the connection closed,
the lock with it); whoever takes it next waits out the `ttl` of the last renewal as above.
I/O module (PostgreSQL, the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import AsyncConnection

from reconciler.decide.shards import REPORT

log = logging.getLogger(__name__)
LOCK_CLASS = 0x52454331  # "REC1": the advisory lock class of leases; the shard is the object
DEFAULT_TTL = 15.0


class PgLease:
    """The lease of one shard; run `keep()` as a task, check `held()` before acting."""

    def __init__(
        self,
        url: str,
        holder: str,
        *,
        shard: int = 0,
        ttl: float = DEFAULT_TTL,
        on_taken: Callable[[int], None] = lambda _epoch: None,
        on_lost: Callable[[], None] = lambda: None,
        wants: Callable[[], bool] = lambda: True,
    ) -> None:
        """`wants` says whether this replica wants the lease now (`--shards`: its quota): a
        lease not wanted is not tried for, and one held is given up (`pgshards`)."""
        self.url = url
        self.shard = shard
        self.ttl = ttl
        self.me = holder
        self.epoch: int | None = None
        self.active_holder: str | None = None
        """Who holds the lease as last seen (this replica, or the one it stands by for)."""
        self.takeovers = 0
        self._renewed = float("-inf")
        self._usable_from = float("inf")
        self._connection: AsyncConnection[tuple[Any, ...]] | None = None
        self._on_taken = on_taken
        self._on_lost = on_lost
        self._wants = wants
        self.what = "the report lease" if shard == REPORT else f"lease of shard {shard}"
        self._closed = asyncio.Event()
        self.tried = asyncio.Event()
        """Set once the first try to take the lease ended, taken or not."""

    @property
    def holder(self) -> str:
        return self.me

    def held(self) -> bool:
        now = time.monotonic()
        return self.epoch is not None and self._usable_from <= now < self._renewed + self.ttl

    @property
    def period(self) -> float:
        return self.ttl / 3

    async def keep(self) -> None:
        """Try, hold and renew the lease until `release()`; never raises for the database."""
        while not self._closed.is_set():
            try:
                # a renewal must end within a period; a try may take up to a lease (a loaded
                # server, a takeover waiting for a frozen holder's transaction to be ended)
                await asyncio.wait_for(self._step(), self.period if self.epoch else self.ttl)
            except (psycopg.Error, OSError, TimeoutError) as error:
                await self._lose(f"{type(error).__name__}: {str(error).strip()[:200]}")
            self.tried.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.period)

    async def _step(self) -> None:
        if self._connection is None or self._connection.closed:
            self._connection = await AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=max(2, int(self.ttl)),
                application_name=f"reconciler lease {self.shard}",
            )  # fmt: skip
        if self.epoch is None and self._wants():
            await self._try_take(self._connection)
        elif self.epoch is None:
            await self._stand_by(self._connection, take_over=False)
        elif not self._wants():
            await self._lose("another replica takes it: this one holds more than its share")
        else:
            await self._renew(self._connection)

    async def _try_take(self, db: AsyncConnection[tuple[Any, ...]]) -> None:
        cursor = await db.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.shard))
        row = await cursor.fetchone()
        if row is None or not row[0]:
            await self._stand_by(db)
            return
        started = time.monotonic()
        async with db.transaction():
            cursor = await db.execute(
                "SELECT extract(epoch FROM now() - renewed_at) FROM leases WHERE shard = %s",
                (self.shard,),
            )
            before = await cursor.fetchone()
            cursor = await db.execute(
                "INSERT INTO leases VALUES (%s, 1, %s, pg_backend_pid(), now())"
                " ON CONFLICT (shard) DO UPDATE SET epoch = leases.epoch + 1,"
                " holder = EXCLUDED.holder, backend_pid = EXCLUDED.backend_pid,"
                " renewed_at = EXCLUDED.renewed_at RETURNING epoch",
                (self.shard, self.me),
            )
            taken = await cursor.fetchone()
        assert taken is not None  # RETURNING always answers one row
        # the last holder may believe it holds the lease until its last renewal is `ttl` old:
        # this one acts only from then on (its writes are fenced from now on)
        grace = max(0.0, self.ttl - float(before[0])) if before else 0.0
        self.epoch, self._renewed, self.active_holder = int(taken[0]), started, self.me
        self._usable_from = started + grace
        self.takeovers += self.epoch > 1
        log.info("%s taken: epoch %d, active in %.1f s", self.what, self.epoch, grace)
        asyncio.get_running_loop().call_later(grace, self._taken, self.epoch)

    def _taken(self, epoch: int) -> None:
        if self.epoch == epoch:
            self._on_taken(epoch)

    async def _stand_by(self, db: AsyncConnection[tuple[Any, ...]], take_over: bool = True) -> None:
        cursor = await db.execute(
            "SELECT holder, backend_pid, now() - renewed_at > make_interval(secs => %s)"
            " FROM leases WHERE shard = %s",
            (self.ttl, self.shard),
        )
        row = await cursor.fetchone()
        if row is None:
            return
        holder, pid, stale = row
        self.active_holder = str(holder)
        if stale and take_over:
            log.warning("%s: %s did not renew for %.1f s: taking over", self.what, holder, self.ttl)
            await db.execute("SELECT pg_terminate_backend(%s)", (pid,))

    async def _renew(self, db: AsyncConnection[tuple[Any, ...]]) -> None:
        started = time.monotonic()
        cursor = await db.execute(
            "UPDATE leases SET renewed_at = now() WHERE shard = %s AND epoch = %s"
            " AND backend_pid = pg_backend_pid()",
            (self.shard, self.epoch),
        )
        if cursor.rowcount != 1:
            await self._lose("the lease moved on to another replica")
            return
        self._renewed = started

    async def _lose(self, why: str) -> None:
        if self.epoch is not None:
            log.warning("%s lost (%s): standing by", self.what, why)
            self.epoch, self.active_holder = None, None
            self._on_lost()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_close(connection), self.period)

    async def release(self) -> None:
        """Give the lease up (the lock goes with the connection); `keep()` ends.

        A holder that lets go on purpose has stopped acting before it says so: its row is
        marked as renewed long ago, so the next holder acts at once instead of waiting out the
        grace that protects it from a holder that may still believe it holds the lease.
        """
        self._closed.set()
        epoch, self.epoch = self.epoch, None
        if self._connection is not None:
            if epoch is not None:
                with contextlib.suppress(psycopg.Error, OSError, TimeoutError):
                    await asyncio.wait_for(
                        self._mark_released(self._connection, epoch), self.period
                    )
            await _close(self._connection)
            self._connection = None

    async def _mark_released(self, db: AsyncConnection[tuple[Any, ...]], epoch: int) -> None:
        await db.execute(
            "UPDATE leases SET renewed_at = now() - interval '1 day' WHERE shard = %s"
            " AND epoch = %s AND backend_pid = pg_backend_pid()",
            (self.shard, epoch),
        )


async def _close(connection: AsyncConnection[tuple[Any, ...]]) -> None:
    with contextlib.suppress(psycopg.Error, OSError):
        await connection.close()
