"""A reconciler session: the lease taken, and the ledger, source and Core clients open.

`once` and the daemon both work inside one; everything is closed, and the lease given up, on the
way out, however the session ends. The state directory is always this process's own (its lock,
its clone). With a PostgreSQL ledger the session is one replica of those sharing it: it keeps
a `PgLease` running, the ledger fenced by its epoch, every Core write guarded by the lease, and
the `Reconciler` told whether it is active (a standby's passes keep the clone fetched and the
readback warm, and do nothing else). With `--shards N` it keeps N shard leases and the report
lease (`ledger.pgshards`), every write fenced by the lease it needs, and every Core write
guarded by the lease of that Core's shard. I/O module.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from reconciler.decide.shards import REPORT, shard_of
from reconciler.errors import ConfigurationError, LeaseLost
from reconciler.shell.clock import utc_now
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger import Ledger
from reconciler.shell.ledger.lease import FileLease
from reconciler.shell.ledger.opening import open_ledger
from reconciler.shell.ledger.pglease import PgLease
from reconciler.shell.ledger.pgshards import ShardLeases, agree
from reconciler.shell.ledger.postgres import PostgresLedger
from reconciler.shell.listeners import Leadership, Listeners, PassListener, ShardLease
from reconciler.shell.reconcile import Reconciler
from reconciler.shell.repo.source import GitSource

log = logging.getLogger(__name__)
SHARD = 0


@asynccontextmanager
async def session(
    config: Config, listener: PassListener | None = None
) -> AsyncIterator[Reconciler]:
    """A `Reconciler` ready for passes, telling `listener` what happens."""
    if config.source is None or config.state_dir is None:
        raise ConfigurationError("--repo is required (or set RECONCILER_REPO)")
    if not config.state_dir.exists():
        log.info("state directory %s created: it keeps the ledger and the clone", config.state_dir)
    heard = listener or Listeners()
    lease = await FileLease.acquire(config.state_dir)
    try:
        ledger = await open_ledger(config.ledger_url, config.state_dir)
        try:
            async with _replica(config, ledger, heard) as (replica, shards):
                guard = _guard(replica, shards)
                source = GitSource(config.source, config.state_dir / "source.git", config.branch)
                async with CorePool(config.environ, config.client, utc_now, guard=guard) as pool:
                    reconciler = Reconciler(
                        config, source, ledger, pool, utc_now, listener=heard, replica=replica,
                        shards=shards,
                    )  # fmt: skip
                    if replica is not None:
                        reconciler.active = replica.held
                    yield reconciler
        finally:
            await ledger.close()
    finally:
        await lease.release()


Leases = tuple[PgLease | None, ShardLeases | None]


@asynccontextmanager
async def _replica(config: Config, ledger: Ledger, listener: PassListener) -> AsyncIterator[Leases]:
    """With a PostgreSQL ledger, this process's lease kept running (or with `--shards N`, its
    shard leases and the report lease); else None (one process)."""
    if not isinstance(ledger, PostgresLedger) or config.ledger_url is None:
        yield None, None
        return
    await agree(ledger, config.shards)
    holder = f"{socket.gethostname()} pid {os.getpid()} ({config.listen})"
    if config.shards > 1:
        async with _sharded(config, config.ledger_url, ledger, holder, listener) as shards:
            yield shards.report, shards
        return
    ledger.fence(SHARD, 0)  # epochs start at 1: a standby writes nothing

    def taken(epoch: int) -> None:
        ledger.fence(SHARD, epoch)
        listener.heard(Leadership(True, epoch, takeover=epoch > 1))

    replica = PgLease(
        config.ledger_url,
        holder,
        shard=SHARD,
        ttl=config.lease_ttl,
        on_taken=taken,
        on_lost=lambda: listener.heard(Leadership(False, None)),
    )
    keeping = asyncio.get_running_loop().create_task(replica.keep())
    await replica.tried.wait()
    try:
        yield replica, None
    finally:
        await replica.release()
        await keeping


@asynccontextmanager
async def _sharded(
    config: Config, url: str, ledger: PostgresLedger, holder: str, listener: PassListener
) -> AsyncIterator[ShardLeases]:
    """`--shards N`: writes about a Core fenced by its shard's lease, the others by the report
    lease; a lease lost or given up fences its writes off at once (epoch 0)."""
    shards = config.shards
    ledger.route(lambda core: shard_of(core, shards), REPORT)
    for shard in (REPORT, *range(shards)):
        ledger.fence(shard, 0)
        if shard != REPORT:
            listener.heard(ShardLease(shard, False))

    def taken(shard: int, epoch: int) -> None:
        ledger.fence(shard, epoch)
        if shard == REPORT:
            listener.heard(Leadership(True, epoch, takeover=epoch > 1))
        else:
            listener.heard(ShardLease(shard, True, takeover=epoch > 1))

    def lost(shard: int) -> None:
        ledger.fence(shard, 0)
        listener.heard(Leadership(False, None) if shard == REPORT else ShardLease(shard, False))

    leases = ShardLeases(
        ledger, url, holder, shards, config.lease_ttl, on_taken=taken, on_lost=lost
    )
    keeping = asyncio.get_running_loop().create_task(leases.keep())
    await leases.tried()
    try:
        yield leases
    finally:
        await leases.release()
        await keeping


def _guard(replica: PgLease | None, shards: ShardLeases | None) -> Callable[[str, str], None]:
    """What a Core client checks before each write: this replica still holds its lease (with
    `--shards`, the lease of the Core's shard)."""

    def check(core: str, what: str) -> None:
        if shards is not None and not shards.holds(core):
            raise LeaseLost(f"{what} not sent: this replica does not hold the lease of its shard")
        if shards is None and replica is not None and not replica.held():
            raise LeaseLost(f"{what} not sent: this replica does not hold the lease")

    return check
