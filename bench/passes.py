"""The large fleet (10,000 pipelines / 500 Cores in full): validation, plan, the daemon's passes.

One generated repository on one fleet, in this order: `validate` against the libyaml parse of
the same files (alternating, medians), the same pipelines one file per object, `plan` on the
empty Cores, the daemon's first pass and RSS, one-file commits until their report is pushed,
a Deploy All of everything, Deploy All markers touching one pipeline until its components are
on its Cores, then `status` on the converged fleet against parse and a bare readback.
I/O module (processes, Git, HTTP).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.generate import FleetProcess, Shape, cores_of, files, offline_cores, write
from bench.measure import Row, median, percentile, proc_rss, side_by_side
from bench.scale import Plan, size
from bench.watch import deployed_after, deployment_done, report_after
from bench.world import World


def validation(plan: Plan, world: World) -> list[Row]:
    shape = world.shape
    folder = str(world.work)
    validated, parsed = side_by_side(
        plan.runs,
        lambda: world.reconciler("validate", folder),
        lambda: world.floor("parse", folder)["wall"],
    )
    rows = [
        Row(
            "`validate`, grouped files",
            f"{shape.pipelines:,} pipelines",
            median([c.seconds for c in validated]),
            "s",
            "≤ 2x parse",
            peer=median(parsed),
            peer_label="libyaml parse",
            max_ratio=2.0,
        )
    ]
    return [*rows, one_per_object(plan, world.root.parent / "objects", shape)]


def one_per_object(plan: Plan, folder: Path, grouped: Shape) -> Row:
    shape = Shape(grouped.pipelines, grouped.cores, one_per_object=True)
    texts = files(shape, offline_cores(shape.cores))
    write(folder, texts)
    world = World(folder.parent, shape, None, texts, folder)
    parsed = world.floor("parse", str(folder))["wall"]
    done = world.reconciler("validate", str(folder), check=False)
    accepted = done.returncode == 0
    return Row(
        "`validate`, one file per object",
        f"{len(texts):,} files",
        done.seconds,
        "s",
        "accepted",
        peer=parsed,
        peer_label="libyaml parse",
        holds=accepted,
        note="" if accepted else "refused: " + (done.stdout + done.stderr).strip()[-120:],
    )


def run(plan: Plan) -> list[Row]:
    shape = plan.shape(10_000, 500)
    fleet = FleetProcess(plan.root / "fleet-big", shape.cores).start()
    try:
        world = World.create(plan.root / "big", shape, fleet)
        rows = validation(plan, world)
        planned = world.reconciler("plan", str(world.work))
        rows.append(
            Row(
                "`plan` RSS, empty Cores",
                size(shape),
                planned.rss_mib,
                "MiB",
                "≤ 400 MiB",
                max_figure=400,
            )
        )
        return rows + daemon_rows(plan, world)
    finally:
        fleet.stop()


STOP_SECONDS = 600
"""How long the large fleet's daemon may take to stop: a readback refresh in flight finishes
first (its report is CPU work in a thread, which cannot be cut short), and at 10,000 / 500 one
took a minute, longer than the 30 s the tests allow."""


def daemon_rows(plan: Plan, world: World) -> list[Row]:
    shape = world.shape
    daemon = world.daemon()
    started = time.perf_counter()
    try:
        daemon.start(timeout=120)
        daemon.wait_ready(timeout=3600)
        first = time.perf_counter() - started
        assert daemon.process is not None
        first_rss = proc_rss(daemon.process.pid)
        reports = []
        for run in range(plan.runs):
            world.change(run)
            commit = world.push(f"change p{run}")
            reports.append(report_after(world, commit, world.pushed_at))
        deployment_done(world, converge(world))
        deploys = []
        for run in range(plan.runs):
            index = shape.pipelines - 1 - run
            world.change(index)
            request = world.add_marker()
            world.push(f"change p{index}, deploy all")
            deploys.append(deployed_after(world, index, cores_of(index, shape), world.pushed_at))
            deployment_done(world, request)  # the next push meets a quiet daemon
        rss = proc_rss(daemon.process.pid)
    finally:
        daemon.stop(timeout=STOP_SECONDS)
    rows = [
        Row("daemon first full pass", size(shape), first, "s", "≤ 30 s", max_figure=30),
        Row(
            "daemon RSS",
            size(shape),
            rss,
            "MiB",
            "≤ 400 MiB",
            max_figure=400,
            note=f"after the first pass {first_rss:.0f} MiB",
        ),
        Row(
            "one-file commit → report pushed, p50",
            size(shape),
            percentile(reports, 0.5),
            "s",
            "≤ 2 s",
            max_figure=2,
        ),
        Row(
            "Deploy All touching one pipeline → on its Cores, p50",
            size(shape),
            percentile(deploys, 0.5),
            "s",
            "≤ 2 s",
            max_figure=2,
        ),
    ]
    return [*rows, status_row(plan, world, "≤ 2x", 2.0)]


def converge(world: World) -> str:
    request = world.add_marker()
    world.push("deploy all")
    return request


def status_row(plan: Plan, world: World, target: str, bound: float) -> Row:
    """`status` on the converged fleet against the libyaml parse plus a bare readback."""
    world.pull()
    assert world.fleet is not None
    folder, manifest = str(world.work), str(world.fleet.manifest)
    statuses, floors = side_by_side(
        plan.runs,
        lambda: world.reconciler("status", folder),
        lambda: world.floor("status", folder, manifest)["wall"],
    )
    return Row(
        "`status`, converged",
        size(world.shape),
        median([c.seconds for c in statuses]),
        "s",
        f"{target} parse + bare readback",
        peer=median(floors),
        peer_label="parse + readback",
        max_ratio=bound,
    )
