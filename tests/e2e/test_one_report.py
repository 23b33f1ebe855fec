"""Two replicas on one ledger make one report commit per change: only the active one writes.

Real daemons on a real PostgreSQL server and one reference Core. Three changes are pushed one
after another, each once the report of the one before is on the origin; the origin's history is
then exactly change, report, change, report, change, report.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_replicas import replica, role
from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.postgres import PostgresServer
from tests.support.repos import git


def test_two_replicas_make_one_report_commit_per_change(
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
    postgres_server: PostgresServer,
) -> None:
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.push("one pipeline on one Core")
    url = postgres_server.database("one_report")
    first = replica(daemon_factory, fleet, url, "a")
    first.start()
    wait_until(lambda: role(first) == "active", 60, what="replica a to be active")
    second = replica(daemon_factory, fleet, url, "b")
    second.start()
    wait_until(lambda: role(second) == "standby", 60, what="replica b to stand by")
    first.wait_ready()
    second.wait_ready()
    start = git(fleet.origin, "rev-parse", "main")

    changes = []
    for n in range(3):
        fleet.edit(
            f"registry/streams/extra-{n}.yaml",
            f"apiVersion: reconciler/v1\nkind: Stream\nname: extra-{n}\n",
        )
        changes.append(fleet.push(f"change {n}"))
        wait_until(
            lambda: git(fleet.origin, "rev-parse", "main^") == changes[-1],
            60,
            what=f"the report of change {n}",
        )

    history = git(fleet.origin, "log", "--format=%H %P %s", f"{start}..main").splitlines()
    subjects = [line.split(" ", 2)[2] for line in reversed(history)]
    assert len(subjects) == 6, history
    assert subjects[0::2] == ["change 0", "change 1", "change 2"]
    parents = {line.split(" ")[0]: line.split(" ")[1] for line in history}
    reports = [line.split(" ")[0] for line in reversed(history)][1::2]
    assert [parents[report] for report in reports] == changes
    assert role(first) == "active"
    assert role(second) == "standby"
