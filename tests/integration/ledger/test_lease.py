"""The PostgreSQL lease and fencing, on a real server: one holder, takeover, no late write."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable

import pytest

from reconciler.shell.ledger.pglease import PgLease
from reconciler.shell.ledger.postgres import Fenced, PostgresLedger
from tests.integration.ledger.test_contract import run
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.anyio
TTL = 2.0


async def until(probe: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def replica(url: str, name: str) -> tuple[PostgresLedger, PgLease, asyncio.Task[None]]:
    ledger = await PostgresLedger.open(url)
    ledger.fence(0, 0)  # a standby writes nothing
    lease = PgLease(url, name, ttl=TTL, on_taken=lambda epoch: ledger.fence(0, epoch))
    return ledger, lease, asyncio.get_running_loop().create_task(lease.keep())


async def test_one_holder_and_a_takeover_fences_the_old_one(
    postgres_server: PostgresServer,
) -> None:
    """A holds, B stands by naming A; A's lease connection terminated: A stops at once, B takes
    over with the next epoch, and A's late write is refused with nothing stored."""
    url = postgres_server.database("lease_takeover")
    first, lease_a, task_a = await replica(url, "replica-a")
    await until(lease_a.held, "A to take the lease")
    second, lease_b, task_b = await replica(url, "replica-b")
    await until(lambda: lease_b.active_holder == "replica-a", "B to see A active")
    assert not lease_b.held()
    assert await first.claim(run("by-a"))
    with pytest.raises(Fenced):
        await second.claim(run("by-b-standby"))

    pid = postgres_server.sql(
        "SELECT backend_pid FROM leases WHERE shard = 0", "lease_takeover"
    ).strip()
    terminated = postgres_server.sql(f"SELECT pg_terminate_backend({int(pid)})", "lease_takeover")
    assert terminated.strip() == "t"
    await until(lambda: not lease_a.held(), "A to step down")
    await until(lease_b.held, "B to take over")
    assert (lease_a.epoch, lease_b.epoch, lease_b.takeovers) == (None, 2, 1)
    with pytest.raises(Fenced, match="moved on from epoch 1"):
        await first.claim(run("by-a-late"))
    assert await second.claim(run("by-b"))
    assert await second.run("by-a-late") is None
    for lease, task, ledger in ((lease_a, task_a, first), (lease_b, task_b, second)):
        await lease.release()
        await task
        await ledger.close()


async def test_a_holder_that_stops_renewing_is_replaced(postgres_server: PostgresServer) -> None:
    """A holder frozen past its lease (its connection still open): the standby terminates its
    lease connection and takes over; the frozen one's `held()` is already False."""
    url = postgres_server.database("lease_frozen")
    first, lease_a, task_a = await replica(url, "replica-a")
    await until(lease_a.held, "A to take the lease")
    task_a.cancel()  # A no longer renews, as if SIGSTOPped; its connection stays open
    second, lease_b, task_b = await replica(url, "replica-b")
    await until(lease_b.held, "B to take over after the lease expired")
    assert not lease_a.held()
    with pytest.raises(Fenced):
        await first.set_last_processed("abc")
    assert await second.last_processed() is None
    await lease_b.release()
    await task_b
    await lease_a.release()
    await first.close()
    await second.close()


async def test_a_database_restart_loses_nothing_and_fails_closed(
    postgres_server: PostgresServer,
) -> None:
    """Records written before a restart are there after it; the holder loses its lease with
    its connection (no Core operation until it holds it again), then takes it back at the next
    epoch, and writes again."""
    url = postgres_server.database("lease_restart")
    ledger, lease, task = await replica(url, "replica-a")
    await until(lease.held, "A to take the lease")
    for n in range(20):
        assert await ledger.claim(run(f"before-{n}", n))
    postgres_server.restart()
    await until(lambda: not lease.held(), "A to let go of the lease with its connection")
    await until(lease.held, "A to take the lease back after the restart")
    assert lease.epoch == 2
    assert [r.id for r in await ledger.recent(20)] == [f"before-{n}" for n in reversed(range(20))]
    assert await ledger.claim(run("after"))
    await lease.release()
    await task
    await ledger.close()


async def test_a_seeded_chaos_loop_keeps_one_holder(postgres_server: PostgresServer) -> None:
    """Ten times, the holder of two replicas is lost (its connection terminated, its process
    frozen or it lets go): each time the other holds the lease at a newer epoch, and a write of
    the one that lost it is refused."""
    seed = int(os.environ.get("RECONCILER_CHAOS_SEED", "20261202"))
    print(f"lease chaos seed {seed}")
    chance = random.Random(seed)  # noqa: S311 (chaos from a seed, not security)
    url = postgres_server.database("lease_chaos")
    replicas = [await replica(url, name) for name in ("replica-a", "replica-b")]
    epochs = []
    for iteration in range(10):
        where = f"seed {seed}, iteration {iteration}"
        await until(lambda: sum(r[1].held() for r in replicas) == 1, f"one holder ({where})")
        holder = next(i for i, r in enumerate(replicas) if r[1].held())
        ledger, lease, task = replicas[holder]
        epochs.append(lease.epoch)
        how = chance.choice(("terminate", "freeze", "release"))
        if how == "terminate":
            kill = "SELECT pg_terminate_backend(backend_pid) FROM leases WHERE epoch = "
            postgres_server.sql(kill + str(lease.epoch), "lease_chaos")
        elif how == "freeze":
            task.cancel()
        else:
            await lease.release()
        other = replicas[1 - holder][1]
        await until(other.held, f"the other replica to take over after {how} ({where})")
        with pytest.raises(Fenced):
            await ledger.set_last_processed(f"late-{iteration}")
        if how != "terminate":  # the lost one comes back as a standby
            await lease.release()
            ledger.fence(0, 0)
            fresh = PgLease(url, lease.me, ttl=TTL, on_taken=_fencer(ledger))
            replicas[holder] = (ledger, fresh, asyncio.get_running_loop().create_task(fresh.keep()))
    assert epochs == sorted(set(epochs)), f"seed {seed}: {epochs}"
    for ledger, lease, task in replicas:
        await lease.release()
        task.cancel()
        await ledger.close()


def _fencer(ledger: PostgresLedger) -> Callable[[int], None]:
    return lambda epoch: ledger.fence(0, epoch)
