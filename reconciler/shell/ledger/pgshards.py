"""`--shards N` on PostgreSQL: one replica's shard leases, its heartbeat, and what shards share.

A replica of a sharded SOURCE keeps N + 1 `PgLease`s: one per shard (objects 0 ... N - 1) and
the report lease (`decide.shards.REPORT`). The Cores are split by `decide.shards.shard_of`.

- **Who is alive.** Each replica upserts its row of `replicas` every `ttl / 3` (the database's
  clock) and counts the rows renewed less than `ttl` ago; its row goes when it stops cleanly.
- **Who holds what.** A replica wants at most `quota(N, live)` = ceil(N / live) shard leases
  (`decide.shards.wanted`): it tries for a free one only while it holds fewer, and gives up
  those beyond its quota (the highest-numbered first), but never while it runs a part of a
  request (`working`, `shardruns`): a rebalance waits for the end of the run. With 3 replicas
  and 3 shards each holds one. When a replica dies its leases are free (SIGKILL: the lock goes
  with its connection) or stale (SIGSTOP: not renewed for `ttl`, then terminated as `pglease`
  says); once its heartbeat is `ttl` old the survivors count one replica fewer, their quota
  grows, and one of them takes each orphaned shard. Every replica tries for the report lease;
  one holds it.
- **What a shard saw.** The holder of a shard publishes each readback of its Cores into
  `shard_observations` (one row a Core, with the shard's epoch, fenced by its lease), and the
  report holder reads those of the shards it does not hold: the one report is built from every
  shard's readback and the shared records.
- **What a shard did of a run.** A Deploy All or Core Action runs shard by shard: each holder
  runs it on its own Cores and records its part (`run_parts`: the outcomes of that shard's
  Cores, with its epoch, fenced by its lease). The report holder, which alone writes `runs`,
  concludes the run with one final record once every shard with Cores in it has its part.
- **Agreeing on N.** The first replica records N (`shard_count`); a replica started with
  another N is refused.

I/O module (PostgreSQL, the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import psycopg
from psycopg import AsyncConnection

from reconciler.decide import observedcodec, runcodec
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run
from reconciler.decide.shards import REPORT, quota, shard_of, wanted
from reconciler.errors import ConfigurationError
from reconciler.shell.ledger.pglease import PgLease
from reconciler.shell.ledger.postgres import Fenced, PostgresLedger

log = logging.getLogger(__name__)


async def agree(ledger: PostgresLedger, shards: int) -> None:
    """Record `shards` for this SOURCE, or refuse when its replicas run with another count."""
    async with ledger.fenced(REPORT) as db:  # not fenced yet: no lease is taken at start
        await db.execute(
            "INSERT INTO shard_count (shards) VALUES (%s) ON CONFLICT DO NOTHING", (shards,)
        )
    found = await ledger.query("SELECT shards FROM shard_count")
    recorded = int(found[0][0])
    if recorded != shards:
        raise ConfigurationError(
            f"--shards {shards}: the replicas of this ledger ({ledger.where}) run with "
            f"--shards {recorded}; start every replica with the same --shards"
        )


class ShardLeases:
    """The leases of one replica; run `keep()` as a task, then `release()`."""

    def __init__(
        self,
        ledger: PostgresLedger,
        url: str,
        holder: str,
        shards: int,
        ttl: float,
        *,
        on_taken: Callable[[int, int], None],
        on_lost: Callable[[int], None],
    ) -> None:
        self.ledger, self.url, self.me, self.shards, self.ttl = ledger, url, holder, shards, ttl
        self.live = 1
        """Replicas alive, this one included, as last counted."""
        self.working = 0
        """Parts of runs under way (`shardruns`): while any is, no held shard is given up."""
        self.report = PgLease(
            url, holder, shard=REPORT, ttl=ttl,
            on_taken=lambda epoch: on_taken(REPORT, epoch), on_lost=lambda: on_lost(REPORT),
        )  # fmt: skip
        self._on_taken, self._on_lost = on_taken, on_lost
        self.leases = {shard: self._lease(shard) for shard in range(shards)}
        self._closed = asyncio.Event()
        self._seen: dict[str, tuple[str, Observation]] = {}

    def _lease(self, shard: int) -> PgLease:
        return PgLease(
            self.url, self.me, shard=shard, ttl=self.ttl, wants=lambda: self._wants(shard),
            on_taken=lambda epoch: self._on_taken(shard, epoch),
            on_lost=lambda: self._on_lost(shard),
        )  # fmt: skip

    # --- which Cores are this replica's -------------------------------------------------------

    def shard_of(self, core: str) -> int:
        return shard_of(core, self.shards)

    def holds(self, core: str) -> bool:
        """Whether this replica may act on `core` now: it holds the lease of its shard."""
        return self.leases[self.shard_of(core)].held()

    def held(self) -> tuple[int, ...]:
        """The shards whose lease this replica holds now."""
        return tuple(shard for shard, lease in self.leases.items() if lease.held())

    def acting(self) -> bool:
        return bool(self.held())

    def _wants(self, shard: int) -> bool:
        taken = {s for s, lease in self.leases.items() if lease.epoch is not None}
        if shard in taken and self.working:
            return True
        return wanted(shard, taken, quota(self.shards, self.live))

    def holders(self) -> dict[int, str | None]:
        """Who holds each shard, as last seen by this replica."""
        return {shard: lease.active_holder for shard, lease in self.leases.items()}

    # --- keeping the leases -------------------------------------------------------------------

    async def keep(self) -> None:
        """Heartbeat and every lease, until `release()`."""
        await self._beat_once()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._heartbeat())
            tasks.create_task(self.report.keep())
            for lease in self.leases.values():
                tasks.create_task(lease.keep())

    async def tried(self) -> None:
        """Once every lease was tried for once."""
        for lease in (self.report, *self.leases.values()):
            await lease.tried.wait()

    async def _heartbeat(self) -> None:
        while not self._closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.ttl / 3)
            if not self._closed.is_set():
                await self._beat_once()

    async def _beat_once(self) -> None:
        held = ",".join(str(shard) for shard in self.held())
        try:
            async with await AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=max(2, int(self.ttl)),
                application_name="reconciler heartbeat",
            ) as db:  # fmt: skip
                await db.execute(
                    "INSERT INTO replicas VALUES (%s, now(), %s) ON CONFLICT (holder)"
                    " DO UPDATE SET seen_at = now(), shards = EXCLUDED.shards",
                    (self.me, held),
                )
                cursor = await db.execute(
                    "SELECT count(*) FROM replicas"
                    " WHERE now() - seen_at < make_interval(secs => %s)",
                    (self.ttl,),
                )
                row = await cursor.fetchone()
        except (psycopg.Error, OSError) as error:
            log.warning("heartbeat failed: %s", type(error).__name__)
            return
        live = max(1, int(row[0]) if row else 1)
        if live != self.live:
            log.info("%d replica(s) alive: this one holds at most %d shard(s)", live,
                     quota(self.shards, live))  # fmt: skip
        self.live = live

    async def release(self) -> None:
        """Give every lease up and leave the heartbeat table, so the others rebalance now."""
        self._closed.set()
        for lease in (*self.leases.values(), self.report):
            await lease.release()
        with contextlib.suppress(psycopg.Error, OSError):
            async with await AsyncConnection.connect(self.url, autocommit=True) as db:
                await db.execute("DELETE FROM replicas WHERE holder = %s", (self.me,))

    # --- what the shards share ----------------------------------------------------------------

    async def publish(self, observations: Mapping[str, Observation]) -> None:
        """The readback of Cores of shards this replica holds, for the report holder."""
        by_shard: dict[int, list[Observation]] = {}
        for core, observation in observations.items():
            by_shard.setdefault(self.shard_of(core), []).append(observation)
        for shard, found in sorted(by_shard.items()):
            epoch = self.leases[shard].epoch
            if epoch is None:
                continue
            rows = [(o.core, shard, epoch, observedcodec.dumps(o)) for o in found]
            try:
                async with self.ledger.fenced(shard) as db, db.cursor() as cursor:
                    await cursor.executemany(_PUBLISH, rows)
            except Fenced as error:
                log.warning("readback of shard %d not published: %s", shard, error)

    async def published(self, cores: Iterable[str]) -> dict[str, Observation]:
        """The last readback published of each of `cores` (those of shards held elsewhere)."""
        wanted_cores = sorted(set(cores))
        if not wanted_cores:
            return {}
        rows = await self.ledger.query(
            "SELECT core, document FROM shard_observations WHERE core = ANY(%s)", (wanted_cores,)
        )
        found: dict[str, Observation] = {}
        for core, document in rows:
            before = self._seen.get(core)
            if before is None or before[0] != document:  # decoded again only when it changed
                self._seen[core] = (document, observedcodec.loads(document))
            found[core] = self._seen[core][1]
        return found

    async def parts(self, run_id: str) -> dict[int, Run]:
        """The parts of a run that its shards recorded, by shard."""
        rows = await self.ledger.query(
            "SELECT shard, document FROM run_parts WHERE run_id = %s", (run_id,)
        )
        return {int(shard): runcodec.loads(document) for shard, document in rows}

    async def record_part(self, shard: int, part: Run) -> None:
        """Shard `shard` did its part of a run (`part.cores`: its Cores' outcomes)."""
        epoch = self.leases[shard].epoch or 0
        async with self.ledger.fenced(shard) as db:
            await db.execute(
                "INSERT INTO run_parts VALUES (%s, %s, %s, %s) ON CONFLICT (run_id, shard)"
                " DO UPDATE SET epoch = EXCLUDED.epoch, document = EXCLUDED.document",
                (part.id, shard, epoch, runcodec.dumps(part)),
            )

    def state(self) -> dict[str, Any]:
        """For `/readyz` and `/api/status`."""
        return {
            "shards": self.shards,
            "held": list(self.held()),
            "live_replicas": self.live,
            "holders": {str(shard): who for shard, who in self.holders().items()},
        }


_PUBLISH = (
    "INSERT INTO shard_observations VALUES (%s, %s, %s, %s) ON CONFLICT (core) DO UPDATE"
    " SET shard = EXCLUDED.shard, epoch = EXCLUDED.epoch, document = EXCLUDED.document"
)
