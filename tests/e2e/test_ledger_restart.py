"""The PostgreSQL ledger restarted under a Deploy All: nothing lost, the run and passes resume.

A real daemon on a real PostgreSQL server and three reference Cores, each Core operation counted
in the Core's own access log. The moment of the restart comes from `RECONCILER_REPLICA_SEED`.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.e2e.test_replicas import CORES, SEED, many_pipelines, replica, role, writes
from tests.support.access import AccessLog, set_faults
from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.postgres import PostgresServer


def test_the_database_restarted_in_the_middle_of_a_deploy_all(
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
    postgres_server: PostgresServer,
) -> None:
    """The database stops after some of a Deploy All's 100 writes: the replica stops acting
    (fail closed) and stands by; once the database is back it takes the lease again, finishes
    the run with one final record, every component put exactly once and owned in the ledger,
    and the passes after it go on (a new commit is reported)."""
    print(f"replica seed {SEED}")
    chance = random.Random(SEED + 1)  # noqa: S311 (a moment from a seed, not security)
    fleet = Fleet.create(tmp_path, core_factory, CORES)
    placed = many_pipelines(fleet, chance)
    fleet.assign("web", [])
    fleet.push("twenty pipelines")
    database = "ledger_restart"
    url = postgres_server.database(database)
    daemon = replica(daemon_factory, fleet, url, "a")
    daemon.start()
    wait_until(lambda: role(daemon) == "active", 60, what="the replica to be active")
    daemon.wait_ready()

    for core in fleet.cores.values():
        set_faults(core, {"path_prefix": "/api/v1/", "methods": ["PUT"], "latency_ms": 100})
    logs = {name: AccessLog(core) for name, core in fleet.cores.items()}
    fleet.deploy_all("restart", "--id", "restart-1")
    stop_after = chance.randint(5, 40)
    print(f"replica seed {SEED}: the database stops after {stop_after} component writes")
    wait_until(lambda: sum(writes(logs).values()) >= stop_after, 60, what=f"{stop_after} writes")
    postgres_server.stop("fast")
    try:
        wait_until(lambda: role(daemon) == "standby", 60, what="the replica to stand by")
        stopped_at = sum(writes(logs).values())
    finally:
        postgres_server.start()
    assert daemon.process is not None
    assert daemon.process.poll() is None, "the daemon died with its database"

    def done() -> bool:
        found = postgres_server.sql("SELECT state FROM runs WHERE id = 'restart-1'", database)
        return found.strip() == "done"

    wait_until(done, 120, what=f"the run to finish after the restart (seed {SEED})")
    assert role(daemon) == "active"
    assert "lease of shard 0 lost" in daemon.log_text()
    sent = writes(logs)
    assert sum(sent.values()) > stopped_at or stopped_at == len(placed) * 5
    assert len(sent) == len(placed) * 5, f"seed {SEED}"
    assert all(count == 1 for count in sent.values()), f"seed {SEED}: {sent}"
    assert postgres_server.sql("SELECT count(*) FROM runs WHERE id = 'restart-1'", database) == (
        "1\n"
    )
    owned = postgres_server.sql("SELECT count(*) FROM owned", database).strip()
    assert int(owned) == len(placed) * 5

    fleet.edit("registry/streams/extra.yaml", "apiVersion: reconciler/v1\nkind: Stream\nname: x\n")
    commit = fleet.push("a commit after the restart")
    wait_until(
        lambda: commit[:12] in fleet.origin_file("status/pipelines.json"),
        60,
        what="the report of the commit after the restart",
    )
