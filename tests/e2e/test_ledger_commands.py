"""`status`, `plan`, `diff` and `action` read the daemon's PostgreSQL ledger with `--ledger`.

A real PostgreSQL server, two reference Cores, `reconciler once --ledger` as the daemon's one
pass. What the commands print is the report the daemon wrote from that ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_one_truth import rows_of
from tests.e2e.test_replicas import replica, role
from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.postgres import PostgresServer
from tests.support.repos import git


def statuses(fleet: Fleet) -> dict[str, str]:
    return {row["pipeline"]: row["status"] for row in rows_of(fleet.report())}


def test_the_reading_commands_and_action_use_a_postgresql_ledger(
    tmp_path: Path, core_factory: CoreFactory, postgres_server: PostgresServer
) -> None:
    url = postgres_server.database("ledger_commands")
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.assign("web", ["edge-1", "edge-2"])
    fleet.push("web on both")

    def once() -> None:
        fleet.reconciler(
            "once", "--repo", str(fleet.origin), "--state-dir", str(fleet.state), "--ledger", url
        )
        git(fleet.work, "pull", "-q", "--rebase")

    once()
    fleet.deploy_all("first")
    once()
    work = str(fleet.work)

    status = fleet.reconciler("status", work, "--format", "json", "--ledger", url)
    where = f"127.0.0.1:{postgres_server.port}/ledger_commands"
    assert f"deployed: from the daemon's ledger database {where}" in status.stderr
    assert rows_of(json.loads(status.stdout)) == rows_of(fleet.report())
    assert statuses(fleet)["web"] == "Ready to start"
    plan = fleet.reconciler("plan", work, "--ledger", url, "--detailed-exitcode", check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr  # nothing to do
    diff = fleet.reconciler("diff", "--repo", work, "--ledger", url, check=False)
    assert diff.returncode == 0, diff.stdout + diff.stderr

    runs = int(postgres_server.sql("SELECT count(*) FROM runs", "ledger_commands"))
    started = fleet.reconciler("action", "start", "web", "--repo", work, "--ledger", url)
    assert "start web: done" in started.stderr
    assert int(postgres_server.sql("SELECT count(*) FROM runs", "ledger_commands")) == runs + 1
    once()
    assert statuses(fleet)["web"] == "Running"


def test_a_password_in_the_ledger_url_is_refused_and_never_shown(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    secret_url = "postgresql://reconciler:s3cr3t-pw@127.0.0.1:1/ledger"  # noqa: S105
    for command in (
        ["status", str(fleet.work), "--ledger", secret_url],
        ["action", "start", "web", "--repo", str(fleet.work), "--ledger", secret_url],
    ):
        done = fleet.reconciler(*command, check=False)
        assert done.returncode == 2
        assert "--ledger must not hold a password" in done.stderr
        assert "s3cr3t" not in done.stdout + done.stderr


def test_once_beside_an_active_daemon_stands_by_and_says_so(
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
    postgres_server: PostgresServer,
) -> None:
    """`once` on a ledger whose lease a running daemon holds changes nothing and exits 1,
    naming the holder; once the daemon stops (letting go of its lease), the next `once` acts at
    once, without waiting out the lease."""
    url = postgres_server.database("once_standby")
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.push("one pipeline")
    daemon = replica(daemon_factory, fleet, url, "a")
    daemon.start()
    wait_until(lambda: role(daemon) == "active", 60, what="the daemon to be active")
    holder = daemon.get("/readyz").json()["replica"]["me"]
    command = ["once", "--repo", str(fleet.origin), "--state-dir", str(tmp_path / "s"), "--ledger"]

    beside = fleet.reconciler(*command, url, check=False)
    assert beside.returncode == 1, beside.stderr
    assert f"{holder} holds the lease of the ledger: this pass stood by" in beside.stderr

    daemon.stop()
    after = fleet.reconciler(*command, url, check=False)
    assert after.returncode == 0, after.stderr
    assert "active in 0.0 s" in after.stderr
