"""The trust boundary and failure cases of SECURITY.md, end to end: real Cores, Git, daemon.

A misbehaving proxy (`tests/support/proxy.py`) stands in front of a reference Core where a case
needs a Core that hangs, echoes the token or lies about deletes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cores import CoreProcess, wait_until
from tests.support.daemon import SCRIPT
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet, core_yaml
from tests.support.proxy import Mode, Proxy
from tests.support.repos import git


@pytest.fixture
def proxies() -> Iterator[list[Proxy]]:
    started: list[Proxy] = []
    yield started
    for proxy in started:
        proxy.stop()


def behind(fleet: Fleet, name: str, proxies: list[Proxy]) -> Proxy:
    """Put a proxy in front of one Core, in the Core file, before the first pass trusts it."""
    core = fleet.cores[name]
    proxy = Proxy.start(core.url)
    proxies.append(proxy)
    fleet.edit(f"cores/{name}.yaml", core_yaml(core).replace(core.url, proxy.url))
    fleet.push(f"{name} behind a proxy")
    return proxy


def pieces(token: str, size: int = 16) -> set[str]:
    """Every `size`-character piece of a token: none may show anywhere."""
    return {token[i : i + size] for i in range(len(token) - size + 1)}


def everything_kept(fleet: Fleet, logs: str = "") -> str:
    """Every place a secret could end up: outputs, Git history, the ledger, the state dir."""
    history = git(fleet.origin, "log", "-p", "--all")
    files = [
        path.read_bytes().decode("latin-1")
        for path in fleet.state.rglob("*")
        if path.is_file() and "objects" not in path.parts
    ]
    return "\n".join([*fleet.outputs, history, *files, logs])


def test_a_commit_cannot_send_a_secret_to_a_host_of_its_choice(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory, proxies: list[Proxy]
) -> None:
    """Pointing a Core at another host, or naming the webhook secret, sends that host nothing."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    attacker = Proxy.start(fleet.cores["edge-1"].url)
    proxies.append(attacker)
    secret = "webhook-secret-value-0123456789abcdef"  # noqa: S105 (a test's secret)
    (tmp_path / "webhook").write_text(secret)
    daemon = daemon_factory(
        str(fleet.origin), fleet.state, "--readback-interval", "1s",
        "--webhook-secret-file", str(tmp_path / "webhook"),
    )  # fmt: skip
    daemon.start()
    daemon.wait_ready()
    edge = fleet.cores["edge-1"]
    moved = core_yaml(edge).replace(edge.url, attacker.url)
    fleet.edit("cores/edge-1.yaml", moved)
    fleet.edit("cores/thief.yaml", moved.replace("name: edge-1", "name: thief"))
    head = fleet.push("move edge-1 and add a Core")
    wait_until(lambda: fleet.report()["revision"] == head, 30, what="the moved Cores' report")
    wait_until(lambda: daemon.metric("reconciler_readback_rounds_total") >= 3, 30, what="readbacks")
    own = f"{{file: {edge.token_file}}}", "{env: RECONCILER_WEBHOOK_SECRET_FILE}"
    fleet.edit("cores/thief.yaml", moved.replace("name: edge-1", "name: thief").replace(*own))
    refused = fleet.push("name the daemon's own secret")
    wait_until(
        lambda: (fleet.report().get("refused") or {}).get("revision") == refused,
        30,
        what="the revision naming the secret to be refused",
    )

    assert attacker.seen == []
    cores = {core["name"]: core for core in fleet.report()["cores"]}
    assert cores["edge-1"]["problem"].startswith("awaiting-deploy")
    assert cores["thief"]["problem"].startswith("awaiting-deploy")
    assert any("RECONCILER_WEBHOOK_SECRET_FILE" in p for p in fleet.report()["refused"]["problems"])
    assert daemon.stop() == 0
    assert secret not in everything_kept(fleet, daemon.log_text())


def test_a_token_echoed_by_a_core_never_escapes_in_part(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory, proxies: list[Proxy]
) -> None:
    """A Core quoting the Authorization header in a long error: no 16 characters of it are kept."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    proxy = behind(fleet, "edge-1", proxies)
    fleet.once()
    proxy.mode = Mode.ECHO_AUTH
    fleet.deploy_all("rollout through an echoing proxy")
    done = fleet.once()
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s")
    daemon.start()
    wait_until(lambda: daemon.get("/api/status").status_code == 200, 30, what="a report")
    api = daemon.get("/api/status").text
    assert daemon.stop() == 0

    kept = everything_kept(fleet, daemon.log_text() + api + done.stdout + done.stderr)
    assert "bad_header" in kept  # the Core's words were kept, with the token blotted out
    assert not [piece for piece in pieces(fleet.cores["edge-1"].token) if piece in kept]


def test_a_delete_answered_404_is_not_done(
    tmp_path: Path, core_factory: CoreFactory, proxies: list[Proxy]
) -> None:
    """A Core (or proxy) answering 404 to deletes keeps the pipeline; the report says so."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    proxy = behind(fleet, "edge-1", proxies)
    fleet.once()
    fleet.deploy_all("first")
    fleet.once()
    proxy.mode = Mode.DELETE_404
    fleet.assign("web", [])
    fleet.push("unassign web")
    fleet.deploy_all("remove web")
    fleet.once()

    [run] = [r for r in fleet.report()["requests"] if r["id"].startswith("deploy-")][:1]
    assert run["state"] == "failed"
    assert fleet.row("web")["status"] == "Pending deployment"
    assert "removal-pending" in fleet.row("web")["tags"]
    assert "web-in" in fleet.components("edge-1", "connectors")
    assert "still lists it" in fleet.origin_file("status/README.md")


def test_a_lost_put_answer_never_wedges_the_core(tmp_path: Path, core_factory: CoreFactory) -> None:
    """The Core applies a PUT and the answer is cut: the next deploys own it and can remove it."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    core = fleet.cores["edge-1"]
    rule = {"path_prefix": "/api/v1/connectors/web-out", "methods": ["PUT"], "reset_rate": 1.0}
    with core.admin_client() as admin:
        admin.put("faults", json={"rules": [rule]}).raise_for_status()
    fleet.deploy_all("cut")
    fleet.once()
    with core.admin_client() as admin:
        admin.delete("faults").raise_for_status()
    fleet.deploy_all("again")
    fleet.once()
    fleet.assign("web", [])
    fleet.push("unassign web")
    fleet.deploy_all("remove")
    fleet.once()

    assert fleet.components("edge-1", "connectors") == {}
    assert fleet.components("edge-1", "streams") == {}
    assert fleet.row("web")["status"] == "No assigned Cores"


def test_a_token_file_that_blocks_never_freezes_the_daemon(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A FIFO as a token file: the Core is reported unreadable, /healthz answers, `once` ends."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fifo = tmp_path / "fifo-token"
    os.mkfifo(fifo)
    core = fleet.cores["edge-1"]
    fleet.edit("cores/edge-1.yaml", core_yaml(core).replace(str(core.token_file), str(fifo)))
    fleet.push("a token file that blocks")
    done = fleet.once()
    assert "edge-1: unknown" in done.stdout or "core-unreachable" in done.stdout

    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s")
    daemon.start()
    wait_until(lambda: daemon.metric("reconciler_readback_rounds_total") >= 2, 30, what="readbacks")
    assert daemon.get("/healthz", timeout=2).status_code == 200
    problem = {c["name"]: c for c in daemon.get("/api/status").json()["cores"]}["edge-1"]["problem"]
    assert "not a regular file" in problem
    assert daemon.stop() == 0


def test_two_command_line_actions_at_once_are_both_recorded(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """Two `reconciler action` runs of the same verb and pipeline together get two records."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.deploy_all("first")
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    command = [
        SCRIPT,
        "action",
        "stop",
        "web",
        "--repo",
        str(fleet.work),
        "--state-dir",
        str(fleet.state),
    ]
    runs = [
        subprocess.Popen(command, env=fleet.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    with sqlite3.connect(fleet.state / "ledger.sqlite3") as db:
        ids = [row[0] for row in db.execute("SELECT id FROM runs WHERE id LIKE 'cli-%'")]
    assert len(ids) == 2
    assert len(set(ids)) == 2


def test_a_hanging_core_does_not_hold_up_the_others(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory, proxies: list[Proxy]
) -> None:
    """While one Core's readback hangs, the other Core of the same Deploy All is deployed."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    slow = behind(fleet, "edge-2", proxies)
    fleet.assign("web", ["edge-1", "edge-2"])
    fleet.push("web on both")
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1h")
    daemon.start()
    daemon.wait_ready()
    slow.mode = Mode.HANG

    fleet.deploy_all("both")

    def healthy_deployed_while_slow_hangs() -> bool:
        return slow.hanging > 0 and "web-in" in fleet.components("edge-1", "connectors")

    wait_until(healthy_deployed_while_slow_hangs, 30, what="edge-1 deployed while edge-2 hangs")
    slow.mode = Mode.PASS
    slow.release()
    assert daemon.stop() == 0


def test_a_flapping_core_makes_no_report_commit_per_flip(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory, proxies: list[Proxy]
) -> None:
    """A Core answering every other readback changes /api/status, not the report in Git."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    flapping = behind(fleet, "edge-1", proxies)
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s")
    daemon.start()
    daemon.wait_ready()
    commits = int(git(fleet.origin, "rev-list", "--count", "main"))
    flapping.mode = Mode.FLAP
    seen_down = threading.Event()

    def flipped_enough() -> bool:
        reachable = daemon.metric("reconciler_core_reachable", core="edge-1")
        if reachable == 0:
            seen_down.set()
        return seen_down.is_set() and flapping.health_checks >= 12

    wait_until(flipped_enough, 60, what="a dozen flapping readbacks")
    assert int(git(fleet.origin, "rev-list", "--count", "main")) == commits
    assert daemon.stop() == 0


def test_report_reachability_settles_once_a_core_stays_down(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A Core that stays down is reported down once the flip has held (one commit for it)."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s")
    daemon.start()
    daemon.wait_ready()
    core: CoreProcess = fleet.cores["edge-1"]
    core.stop()

    def reported_down() -> bool:
        cores = {c["name"]: c for c in fleet.report()["cores"]}
        return cores["edge-1"]["reachable"] is False

    wait_until(reported_down, 30, what="edge-1 reported down")
    assert json.loads(fleet.origin_file("status/pipelines.json"))["cores"][0]["problem"]
    assert daemon.stop() == 0
