"""The idle daemon (100 Cores / 1,000 pipelines in full) at the default readback interval.

On a converged fleet, once the daemon is ready, its CPU (its own and its reaped children's,
from /proc) is read at the end of a readback round and again `idle_rounds` rounds later (its
`reconciler_readback_rounds_total`), against the CPU of the same number of readbacks of the same
Cores by a bare httpx client; and the origin must gain no commit meanwhile.
I/O module (processes, /proc, HTTP).
"""

from __future__ import annotations

import time

from bench.generate import FleetProcess
from bench.measure import Row, proc_cpu, wait_for
from bench.scale import Plan, size
from bench.world import World
from reconciler.shell.config import Config

ROUNDS = "reconciler_readback_rounds_total"
INTERVAL = Config().readback_interval


def run(plan: Plan) -> list[Row]:
    shape = plan.shape(1_000, 100)
    fleet = FleetProcess(plan.root / "fleet-idle", shape.cores).start()
    try:
        world = World.create(plan.root / "idle", shape, fleet)
        world.converge()
        daemon = world.daemon()
        try:
            daemon.start(timeout=120)
            daemon.wait_ready(timeout=1800)
            assert daemon.process is not None
            pid = daemon.process.pid
            seen = daemon.metric(ROUNDS)
            wait_for(lambda: daemon.metric(ROUNDS) > seen, 120, "a readback round", every=0.2)
            head, cpu, started = world.head(), proc_cpu(pid), time.perf_counter()
            # one round ended; `idle_rounds` intervals later the last of as many rounds ends
            # (the window is not polled: a /metrics answer would cost the daemon CPU)
            time.sleep(plan.idle_rounds * INTERVAL)
            used, seconds = proc_cpu(pid) - cpu, time.perf_counter() - started
            rounds = daemon.metric(ROUNDS) - seen - 1
            quiet = world.head() == head
        finally:
            daemon.stop()
        bare = world.floor("readback", str(fleet.manifest), str(plan.idle_rounds))
    finally:
        fleet.stop()
    label = f"{size(shape)}, {rounds:.0f} round(s) in {seconds:.0f} s"
    return [
        Row(
            "idle daemon CPU",
            label,
            100 * used / seconds,
            "%",
            "≤ 1.5x bare httpx",
            peer=100 * bare["cpu"] / seconds,
            peer_label="bare httpx",
            max_ratio=1.5,
        ),
        Row(
            "idle daemon: no commit",
            label,
            None,
            "",
            "no commit",
            holds=quiet,
            note="none" if quiet else "committed",
        ),
    ]
