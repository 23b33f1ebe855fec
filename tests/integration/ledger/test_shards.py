"""`--shards` on a real PostgreSQL server: one count for all replicas, writes fenced per shard,
shard leases shared out by quota and taken over when a replica goes (`ledger.pgshards`)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from reconciler.decide.components import Key, OpKind
from reconciler.decide.model import ComponentKind
from reconciler.decide.outcomes import CoreOutcome, Outcome
from reconciler.decide.shards import REPORT, shard_of
from reconciler.errors import ConfigurationError
from reconciler.shell.ledger.pgshards import ShardLeases, agree
from reconciler.shell.ledger.postgres import Fenced, PostgresLedger
from tests.integration.ledger.test_contract import run
from tests.integration.ledger.test_lease import until
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.anyio
TTL = 1.5
KEY: Key = (ComponentKind.STREAM, "s")


async def test_every_replica_runs_with_the_same_count(postgres_server: PostgresServer) -> None:
    """The first replica records N; the same N is welcome, another one is refused."""
    ledger = await PostgresLedger.open(postgres_server.database("shards_agree"))
    try:
        await agree(ledger, 3)
        await agree(ledger, 3)
        with pytest.raises(ConfigurationError, match=r"--shards 2: .* run with --shards 3"):
            await agree(ledger, 2)
    finally:
        await ledger.close()


def leases(ledger: PostgresLedger, url: str, name: str, shards: int = 2) -> ShardLeases:
    def taken(shard: int, epoch: int) -> None:
        ledger.fence(shard, epoch)

    def lost(shard: int) -> None:
        ledger.fence(shard, 0)

    ledger.route(lambda core: shard_of(core, shards), REPORT)
    for shard in (REPORT, *range(shards)):
        ledger.fence(shard, 0)
    return ShardLeases(ledger, url, name, shards, TTL, on_taken=taken, on_lost=lost)


async def test_two_replicas_share_two_shards_and_one_takes_both(
    postgres_server: PostgresServer,
) -> None:
    """Two replicas, two shards: one each, one report lease; writes about a Core pass only on
    its shard's holder; when one replica goes, the other holds both shards."""
    url = postgres_server.database("shards_share")
    ledger_a, ledger_b = await PostgresLedger.open(url), await PostgresLedger.open(url)
    a, b = leases(ledger_a, url, "a"), leases(ledger_b, url, "b")
    keeping = [asyncio.get_running_loop().create_task(x.keep()) for x in (a, b)]
    try:
        await until(lambda: len(a.held()) == len(b.held()) == 1, "one shard each", 30)
        assert a.report.held() != b.report.held()
        core_a = next(c for c in ("edge-1", "edge-2", "edge-3") if shard_of(c, 2) in a.held())
        await ledger_a.intend(core_a, [(KEY, OpKind.CREATE)], "r1")  # its own shard: written
        with pytest.raises(Fenced):
            await ledger_b.intend(
                core_a, [(KEY, OpKind.CREATE)], "r1"
            )  # the other's shard: refused
        holder, other = (ledger_a, ledger_b) if a.report.held() else (ledger_b, ledger_a)
        assert await holder.claim(run("r1"))
        with pytest.raises(Fenced):
            await other.claim(run("r2"))  # runs are the report holder's

        [shard] = a.held()
        done = CoreOutcome(core_a, Outcome.DONE)
        await a.record_part(shard, replace(run("r1"), cores=(done,)))
        assert (await b.parts("r1"))[shard].cores == (done,)

        await a.release()
        await until(lambda: len(b.held()) == 2, "b to take a's shard", 30)
        assert b.report.held()
        await ledger_b.intend(core_a, [(KEY, OpKind.CREATE)], "r1")  # now b's shard
    finally:
        for x in (a, b):
            await x.release()
        await asyncio.gather(*keeping)
        await ledger_a.close()
        await ledger_b.close()
