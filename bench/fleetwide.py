"""Many Cores, few pipelines each (1,000 pipelines / 500 Cores in full): `status` and readback.

`status` on a converged fleet against the libyaml parse of the same files plus a bare httpx
readback of the same Cores; then the reconciler's Core pool reading back every Core cold (a new
process and pool, as `status`, `plan` and `once` do) against the bare client, in time and peak
RSS, each run as its own process. I/O module (processes, HTTP).
"""

from __future__ import annotations

from bench.generate import FleetProcess
from bench.measure import Row, median
from bench.passes import status_row
from bench.scale import Plan
from bench.world import World


def run(plan: Plan) -> list[Row]:
    shape = plan.shape(1_000, 500)
    fleet = FleetProcess(plan.root / "fleet-wide", shape.cores).start()
    try:
        world = World.create(plan.root / "wide", shape, fleet)
        world.converge()
        rows = [status_row(plan, world, "≤ 1.5x", 1.5)]
        return rows + readback_rows(plan, world)
    finally:
        fleet.stop()


def readback_rows(plan: Plan, world: World) -> list[Row]:
    assert world.fleet is not None
    manifest = str(world.fleet.manifest)
    pools, bares = [], []
    for _ in range(plan.runs):
        bares.append(world.floor("readback", manifest))
        pools.append(world.floor("pool", manifest))
    label = f"{world.shape.cores:,} Cores"
    pool_rss, bare_rss = (
        median([p["rss_mib"] for p in pools]),
        median([b["rss_mib"] for b in bares]),
    )
    return [
        Row(
            "readback, cold: time",
            label,
            median([p["seconds"] for p in pools]),
            "s",
            "≤ 1.5x bare httpx",
            peer=median([b["seconds"] for b in bares]),
            peer_label="bare httpx",
            max_ratio=1.5,
        ),
        Row(
            "readback, cold: peak RSS",
            label,
            pool_rss,
            "MiB",
            "≤ bare + 100 MiB",
            peer=bare_rss,
            peer_label="bare httpx",
            max_excess=100,
        ),
    ]
