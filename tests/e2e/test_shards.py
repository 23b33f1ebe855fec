"""Three replicas, three shards (`--shards 3`) on one PostgreSQL ledger: one killed, its Cores
are read back and deployed by another, and there is still one report.

Real daemons, a real PostgreSQL server, six reference Cores (two a shard). Each Core operation
is counted in the Core's own access log. The placement of the pipelines and which replica is
killed come from `RECONCILER_SHARD_SEED` (printed).
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.decide.shards import shard_of
from tests.e2e.test_replicas import FOLDERS, writes
from tests.support.access import AccessLog, set_faults
from tests.support.cores import wait_until
from tests.support.daemon import DaemonProcess
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.postgres import PostgresServer
from tests.support.repos import git

SEED = int(os.environ.get("RECONCILER_SHARD_SEED", "20261203"))
CORES = tuple(f"edge-{n}" for n in range(1, 7))  # shards 0: edge-1, 5; 1: edge-4, 6; 2: edge-2, 3
PIPELINES = 9
TTL = "2s"


def pipelines(fleet: Fleet, chance: random.Random) -> dict[str, str]:
    """`PIPELINES` pipelines of three components, each on one Core; pipeline -> Core."""
    documents, placed = [], {}
    for n in range(PIPELINES):
        p = f"s{n}"
        documents += [
            f"kind: Stream\nname: {p}-raw",
            f"kind: Connector\nname: {p}-in\ntype: source\nclass: file\nstream: {p}-raw\n"
            f"config:\n  path: in/{p}.log",
            f"kind: Connector\nname: {p}-sink\ntype: sink\nclass: file\nstream: {p}-raw\n"
            f"config:\n  path: out/{p}.jsonl",
            f"kind: Pipeline\nname: {p}\nsource: {p}-in\ntask_ids: []\nsinks: [{p}-sink]",
        ]
        placed[p] = CORES[n % len(CORES)] if n < len(CORES) else chance.choice(CORES)
        fleet.assign(p, [placed[p]])
    for kind, folder in FOLDERS.items():
        chosen = [d for d in documents if d.startswith(f"kind: {kind}\n")]
        if chosen:
            text = "\n---\n".join(f"apiVersion: reconciler/v1\n{d}\n" for d in chosen)
            fleet.edit(f"registry/{folder}/sharded.yaml", text)
    return placed


def replica(daemons: DaemonFactory, fleet: Fleet, url: str, name: str) -> DaemonProcess:
    return daemons(
        str(fleet.origin), fleet.root / f"state-{name}", "--ledger", url, "--shards", "3",
        "--lease-ttl", TTL, "--interval", "1s", "--readback-interval", "2s",
    )  # fmt: skip


def seen(daemon: DaemonProcess) -> dict[str, Any]:
    found: dict[str, Any] = daemon.get("/readyz").json().get("replica", {})
    return found


def one_shard_each(replicas: dict[str, DaemonProcess]) -> bool:
    held = [seen(d).get("held", []) for d in replicas.values()]
    return all(len(h) == 1 for h in held) and sorted(s for h in held for s in h) == [0, 1, 2]


@pytest.mark.parametrize("when", ["before", "during"])
def test_three_replicas_three_shards_one_killed(
    when: str,
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
    postgres_server: PostgresServer,
) -> None:
    """Three replicas with `--shards 3` hold one shard each; SIGKILL one, before a Deploy All or
    in the middle of its part of one: a survivor takes its shard, reads its Cores back and
    deploys them, every component is put once, with one final record and one report holding
    every pipeline."""
    print(f"shard seed {SEED}")
    chance = random.Random(SEED)  # noqa: S311 (placement from a seed, not security)
    fleet = Fleet.create(tmp_path, core_factory, CORES)
    placed = pipelines(fleet, chance)
    fleet.assign("web", [])  # the template's own pipeline stays out of the count
    fleet.push("nine pipelines on six Cores")
    database = f"shards_{when}"
    url = postgres_server.database(database)
    replicas = {name: replica(daemon_factory, fleet, url, name) for name in "abc"}
    for daemon in replicas.values():
        daemon.start()
    wait_until(lambda: one_shard_each(replicas), 60, what="one shard for each replica")
    reporter = [n for n, d in replicas.items() if seen(d).get("report")]
    assert len(reporter) == 1, {n: seen(d) for n, d in replicas.items()}
    assert replicas["a"].metric("reconciler_shard_held", shard=str(seen(replicas["a"])["held"][0]))

    victim = chance.choice("abc")
    [orphan] = seen(replicas[victim])["held"]
    print(f"shard seed {SEED}: SIGKILL replica {victim} (shard {orphan}, report {reporter}) {when}")
    if when == "during":  # slow writes, so that the kill falls inside the victim's part
        for core in fleet.cores.values():
            set_faults(core, {"path_prefix": "/api/v1/", "methods": ["PUT"], "latency_ms": 300})
    logs = {name: AccessLog(core) for name, core in fleet.cores.items()}
    if when == "during":
        fleet.deploy_all("across the kill", "--id", "the-run")
        mine = {f"{c} " for c in CORES if shard_of(c, 3) == orphan}
        wait_until(
            lambda: any(key[: key.index(" ") + 1] in mine for key in writes(logs)),
            60, what=f"a write of shard {orphan}",
        )  # fmt: skip
    replicas[victim].signal(signal.SIGKILL)
    killed_at = time.monotonic()
    replicas[victim].wait()
    survivors = {n: d for n, d in replicas.items() if n != victim}

    def taken() -> str | None:
        found = [n for n, d in survivors.items() if orphan in seen(d).get("held", [])]
        return found[0] if found else None

    heir = wait_until(taken, 30, interval=0.1, what=f"shard {orphan} taken over (seed {SEED})")
    print(f"shard {orphan} taken over by {heir} in {time.monotonic() - killed_at:.1f} s")
    wait_until(
        lambda: sum(seen(d).get("report", False) for d in survivors.values()) == 1,
        30, what="one report holder",
    )  # fmt: skip
    epoch = postgres_server.sql(f"SELECT epoch FROM leases WHERE shard = {orphan}", database)  # noqa: S608 (an int)

    if when == "before":
        fleet.deploy_all("after the kill", "--id", "the-run")

    def done() -> bool:
        found = postgres_server.sql("SELECT state FROM runs WHERE id = 'the-run'", database)
        return found.strip() == "done"

    wait_until(done, 60, what=f"the Deploy All to finish (seed {SEED})")
    sent = writes(logs)
    expected = {
        f"{core} PUT /api/v1/{kind}/{p}-{suffix}"
        for p, core in placed.items()
        for kind, suffix in (("streams", "raw"), ("connectors", "in"), ("connectors", "sink"))
    }
    assert set(sent) == expected, f"seed {SEED}"
    assert all(count == 1 for count in sent.values()), f"seed {SEED}: {sent}"
    assert postgres_server.sql("SELECT count(*) FROM runs", database).split() == ["1"]
    parts = postgres_server.sql(
        "SELECT shard, epoch FROM run_parts WHERE run_id = 'the-run' ORDER BY shard", database
    ).split()
    assert [p.split("|")[0] for p in parts] == ["0", "1", "2"]
    assert f"{orphan}|{epoch.strip()}" in parts, "the orphaned shard's part is the heir's"

    # the orphaned shard's Cores are read back by the heir, and published at its epoch
    orphaned = [c for c in CORES if shard_of(c, 3) == orphan]
    published = postgres_server.sql(
        f"SELECT core, epoch FROM shard_observations WHERE shard = {orphan} ORDER BY core",  # noqa: S608 (an int)
        database,
    ).split()
    assert published == [f"{core}|{epoch.strip()}" for core in orphaned]

    def reported() -> bool:
        rows = fleet.report()["pipelines"]
        ready = {r["pipeline"] for r in rows if r["status"] == "Ready to start"}
        return ready >= set(placed)

    wait_until(reported, 60, what=f"one report with every pipeline deployed (seed {SEED})")
    for commit in git(fleet.origin, "log", "--format=%H", "--author=reconciler", "main").split():
        changed = git(fleet.origin, "diff", "--name-only", f"{commit}^", commit, "--", "status/")
        assert changed, f"report commit {commit[:12]} changed nothing: two report writers"
