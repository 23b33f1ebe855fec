"""Deploy All from empty (1,000 pipelines / 50 Cores in full) and push → deploy on that fleet.

`once` deploys everything on a fleet that logs its requests: the window from its first to its
last write, against the same writes (the components it left, read back and written 16 Cores at
a time, in its order) by a bare httpx client to a second, empty fleet, from that fleet's log;
and the whole `once`. Then the daemon runs on the converged fleet, and each push of a change to
one pipeline with a Deploy All marker is timed until the change is on the pipeline's Cores.
I/O module (processes, Git, HTTP).
"""

from __future__ import annotations

from bench.generate import FleetProcess, cores_of
from bench.measure import Row, percentile
from bench.scale import Plan, size
from bench.watch import deployed_after, deployment_done, log_offset, writes_window
from bench.world import World


def run(plan: Plan) -> list[Row]:
    shape = plan.shape(1_000, 50)
    fleet = FleetProcess(plan.root / "fleet-deploy", shape.cores, access_log=True).start()
    bare = FleetProcess(plan.root / "fleet-bare", shape.cores, access_log=True).start()
    try:
        world = World.create(plan.root / "deploy", shape, fleet)
        world.once()
        world.add_marker()
        world.push("deploy all")
        offset = log_offset(fleet)
        once = world.once()
        window, writes = writes_window(fleet, offset)
        world.floor("write", str(fleet.manifest), str(bare.manifest))
        bare_window, bare_writes = writes_window(bare, 0)
        if bare_writes != writes:
            raise RuntimeError(
                f"the bare client wrote {bare_writes} times, the reconciler {writes}"
            )
        world.pull()
        rows = [
            Row(
                "Deploy All from empty: writes window",
                f"{size(shape)}, {writes:,} writes",
                window,
                "s",
                "≤ 1.3x bare httpx",
                peer=bare_window,
                peer_label="bare httpx",
                max_ratio=1.3,
            ),
            Row(
                "Deploy All from empty: whole `once`",
                size(shape),
                once.seconds,
                "s",
                "≤ 15 s",
                max_figure=15,
            ),
        ]
        return [*rows, push_to_deploy(plan, world)]
    finally:
        bare.stop()
        fleet.stop()


def push_to_deploy(plan: Plan, world: World) -> Row:
    daemon = world.daemon()
    try:
        daemon.start(timeout=120)
        daemon.wait_ready(timeout=1800)
        times = []
        for run in range(plan.runs):
            world.change(run)
            request = world.add_marker()
            world.push(f"change p{run}, deploy all")
            times.append(deployed_after(world, run, cores_of(run, world.shape), world.pushed_at))
            deployment_done(world, request)  # the next push meets a quiet daemon
    finally:
        daemon.stop()
    return Row(
        "push → deploy, p50",
        size(world.shape),
        percentile(times, 0.5),
        "s",
        "≤ 1.5 s",
        max_figure=1.5,
    )
