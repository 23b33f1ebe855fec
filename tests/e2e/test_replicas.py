"""Two replicas on one PostgreSQL ledger: one active, one standby, failover without a repeat.

Real daemons (`reconciler run --ledger postgresql://…`), a real PostgreSQL server, three
reference Cores. Each Core operation is counted in the Core's own access log. The placement of
the pipelines and the moment of the kill come from `RECONCILER_REPLICA_SEED` (printed).
"""

from __future__ import annotations

import json
import os
import random
import signal
from pathlib import Path

import pytest

from tests.support.access import AccessLog, set_faults
from tests.support.cores import wait_until
from tests.support.daemon import DaemonProcess
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.postgres import PostgresServer

SEED = int(os.environ.get("RECONCILER_REPLICA_SEED", "20261202"))
PIPELINES = 20
CORES = ("edge-1", "edge-2", "edge-3")
TTL = "2s"
FOLDERS = {"Stream": "streams", "Connector": "connectors", "Task": "tasks", "Pipeline": "pipelines"}


def many_pipelines(fleet: Fleet, chance: random.Random) -> dict[str, str]:
    """`PIPELINES` pipelines of five components each, each on one Core; pipeline -> Core."""
    documents, placed = [], {}
    for n in range(PIPELINES):
        p = f"p{n:02d}"
        documents += [
            f"kind: Stream\nname: {p}-raw",
            f"kind: Stream\nname: {p}-out",
            f"kind: Connector\nname: {p}-in\ntype: source\nclass: file\nstream: {p}-raw\n"
            f"config:\n  path: in/{p}.log",
            f"kind: Connector\nname: {p}-sink\ntype: sink\nclass: file\nstream: {p}-out\n"
            f"config:\n  path: out/{p}.jsonl",
            f"kind: Task\nname: {p}-task\nmode: processing\nsource_stream: {p}-raw\n"
            f"sink_streams: [{p}-out]\nquery: 'status >= 500'",
            f"kind: Pipeline\nname: {p}\nsource: {p}-in\ntask_ids: [{p}-task]\nsinks: [{p}-sink]",
        ]
        placed[p] = chance.choice(CORES)
        fleet.assign(p, [placed[p]])
    for kind, folder in FOLDERS.items():
        chosen = [d for d in documents if d.startswith(f"kind: {kind}\n")]
        text = "\n---\n".join(f"apiVersion: reconciler/v1\n{d}\n" for d in chosen)
        fleet.edit(f"registry/{folder}/many.yaml", text)
    return placed


def replica(daemons: DaemonFactory, fleet: Fleet, url: str, name: str) -> DaemonProcess:
    daemon = daemons(
        str(fleet.origin), fleet.root / f"state-{name}", "--ledger", url, "--lease-ttl", TTL,
        "--interval", "1s", "--readback-interval", "2s",
    )  # fmt: skip
    daemon.env.update({"RECONCILER_TOKEN_DIRS": daemon.env["RECONCILER_TOKEN_DIRS"]})
    return daemon


def role(daemon: DaemonProcess) -> str | None:
    answer = daemon.get("/readyz").json()
    return answer.get("replica", {}).get("role") if isinstance(answer, dict) else None


def writes(logs: dict[str, AccessLog]) -> dict[str, int]:
    """Every Core write (PUT, DELETE, POST) by Core and path, with how often it was sent."""
    counted: dict[str, int] = {}
    for core, log in logs.items():
        for line in log.lines():
            request = line.split('"')[1] if line.count('"') >= 2 else ""
            if request.split(" ")[0] in ("PUT", "DELETE", "POST"):
                key = f"{core} {request.split(' ')[0]} {request.split(' ')[1]}"
                counted[key] = counted.get(key, 0) + 1
    return counted


@pytest.mark.parametrize("how", ["sigkill", "sigstop"])
def test_the_active_replica_lost_mid_deploy_all(
    how: str,
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
    postgres_server: PostgresServer,
) -> None:
    """SIGKILL, or SIGSTOP past the lease, of the active replica in the middle of a Deploy All
    of 20 pipelines over 3 Cores: the standby takes over and resumes the run, every component
    is put once, and the run has one final record. A stopped replica let go on again (SIGCONT)
    after the takeover sends nothing to a Core, writes nothing to the ledger (fenced), and
    stands by."""
    print(f"replica seed {SEED}")
    chance = random.Random(SEED)  # noqa: S311 (placement from a seed, not security)
    fleet = Fleet.create(tmp_path, core_factory, CORES)
    placed = many_pipelines(fleet, chance)
    fleet.assign("web", [])  # the template's own pipeline stays out of the count
    fleet.push("twenty pipelines")
    database = f"replicas_{how}"
    url = postgres_server.database(database)
    first = replica(daemon_factory, fleet, url, "a")
    first.start()
    wait_until(lambda: role(first) == "active", 60, what="replica a to be active")
    second = replica(daemon_factory, fleet, url, "b")
    second.start()
    wait_until(lambda: role(second) == "standby", 60, what="replica b to stand by")
    assert (
        second.get("/readyz").json()["replica"]["active"]
        == first.get("/readyz").json()["replica"]["me"]
    )
    first.wait_ready()

    for core in fleet.cores.values():
        set_faults(core, {"path_prefix": "/api/v1/", "methods": ["PUT"], "latency_ms": 150})
    logs = {name: AccessLog(core) for name, core in fleet.cores.items()}
    fleet.deploy_all("failover", "--id", "failover-1")
    kill_after = chance.randint(5, 40)
    print(f"replica seed {SEED}: {how} after {kill_after} component writes")
    wait_until(lambda: sum(writes(logs).values()) >= kill_after, 60, what=f"{kill_after} writes")
    first.signal(signal.SIGKILL if how == "sigkill" else signal.SIGSTOP)
    if how == "sigkill":
        first.wait()

    def done() -> bool:
        state = postgres_server.sql(
            "SELECT state FROM runs WHERE id = 'failover-1'", database
        ).strip()
        return state == "done"

    wait_until(done, 120, what=f"the run to finish on replica b (seed {SEED})")
    if how == "sigstop":
        first.signal(signal.SIGCONT)
        wait_until(lambda: role(first) == "standby", 60, what="replica a to stand by")
        assert "standing by" in first.log_text()
        assert first.metric("reconciler_leader") == 0
    assert role(second) == "active"
    assert second.metric("reconciler_takeovers_total") == 1
    assert second.metric("reconciler_leader") == 1

    sent = writes(logs)
    expected = {
        f"{core} PUT /api/v1/{kind}/{p}-{suffix}"
        for p, core in placed.items()
        for kind, suffix in (
            ("streams", "raw"), ("streams", "out"), ("connectors", "in"),
            ("connectors", "sink"), ("tasks", "task"),
        )
    }  # fmt: skip
    assert set(sent) == expected, f"seed {SEED}"
    assert all(count == 1 for count in sent.values()), f"seed {SEED}: {sent}"
    records = postgres_server.sql("SELECT count(*) FROM runs WHERE id = 'failover-1'", database)
    assert records.strip() == "1"
    report = json.loads(fleet.origin_file("status/pipelines.json"))
    assert {row["pipeline"] for row in report["pipelines"]} >= set(placed)


def test_the_lease_connection_terminated(
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
    postgres_server: PostgresServer,
) -> None:
    """`pg_terminate_backend` on the active replica's lease connection: it stops acting and
    stands by, the standby takes over, and a Deploy All after it is done once, by the new one."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.push("one pipeline on one Core")
    database = "replicas_terminate"
    url = postgres_server.database(database)
    first = replica(daemon_factory, fleet, url, "a")
    first.start()
    wait_until(lambda: role(first) == "active", 60, what="replica a to be active")
    second = replica(daemon_factory, fleet, url, "b")
    second.start()
    wait_until(lambda: role(second) == "standby", 60, what="replica b to stand by")

    killed = postgres_server.sql("SELECT pg_terminate_backend(backend_pid) FROM leases", database)
    assert killed.strip() == "t"
    wait_until(lambda: role(second) == "active", 60, what="replica b to take over")
    wait_until(lambda: role(first) == "standby", 60, what="replica a to stand by")
    assert "lease of shard 0 lost" in first.log_text()
    assert second.metric("reconciler_takeovers_total") == 1

    logs = {"edge-1": AccessLog(fleet.cores["edge-1"])}
    fleet.deploy_all("after the takeover", "--id", "after-1")

    def done() -> bool:
        found = postgres_server.sql("SELECT state FROM runs WHERE id = 'after-1'", database)
        return found.strip() == "done"

    wait_until(done, 60, what="the Deploy All to finish")
    sent = writes(logs)
    assert sent, "the Deploy All wrote nothing"
    assert all(count == 1 for count in sent.values()), sent
    assert role(first) == "standby"
