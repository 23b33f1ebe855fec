"""`reconciler run` as a real subprocess, against real reference Cores and a real bare origin."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from reconciler.shell.daemon.webhook import signature
from tests.support.cores import wait_until
from tests.support.daemon import base_env
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.repos import git

PASSES = "reconciler_passes_total"


def test_first_report_then_a_pushed_deploy_all_is_deployed_and_reported(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """The first pass writes the report; a pushed Deploy All lands on the Core and is reported."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(
        str(fleet.origin), fleet.state, "--readback-interval", "1s", "--interval", "1h"
    )
    daemon.start()
    daemon.wait_ready()
    assert fleet.row("web")["status"] == "Pending deployment"
    assert daemon.get("/api/status").json()["revision"] == fleet.report()["revision"]
    assert daemon.get("/healthz").json()["status"] == "ok"

    fleet.deploy_all("first rollout")
    wait_until(
        lambda: fleet.row("web")["status"] == "Ready to start", 30, what="web to be deployed"
    )
    assert sorted(fleet.components("edge-1", "connectors")) == ["web-in", "web-out"]
    assert daemon.metric("reconciler_deploy_outcomes_total", core="edge-1", outcome="done") == 1
    assert daemon.metric("reconciler_requests_total", kind="deploy", state="done") == 1
    assert daemon.metric("reconciler_rows", status="ready-to-start") == 1
    assert daemon.metric("reconciler_pipeline_info", pipeline="web", status="ready-to-start") == 1
    assert daemon.metric("reconciler_pass_duration_seconds_count") >= 2
    assert daemon.metric("reconciler_triggers_total", source="watch") >= 1
    assert daemon.stop() == 0


def test_a_push_reparses_only_the_changed_file(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """After the first pass, a commit changing one file makes the next pass parse one file."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.origin), fleet.state)
    daemon.start()
    daemon.wait_ready()
    parsed = daemon.metric("reconciler_files_parsed_total")
    assert parsed > 1

    fleet.assign("alerts", ["edge-1"])
    head = fleet.push("assign alerts")
    wait_until(lambda: fleet.report()["revision"] == head, 10, what="the report of the push")
    assert fleet.row("alerts")["status"] == "Pending deployment"
    assert daemon.metric("reconciler_files_parsed_total") == parsed + 1
    assert daemon.metric("reconciler_files_reused_total") >= parsed - 1


def test_webhook_with_a_good_signature_fetches_and_a_bad_one_is_refused(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A URL source is not watched: only a correctly signed webhook makes it fetch at once."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text("s3cret-for-hooks\n")
    daemon = daemon_factory(
        f"file://{fleet.origin}",
        fleet.state,
        "--interval",
        "1h",
        "--webhook-secret-file",
        str(secret_file),
    )
    daemon.start()
    daemon.wait_ready()
    fleet.assign("alerts", ["edge-1"])
    head = fleet.push("assign alerts")
    body = b'{"ref": "refs/heads/main", "after": "whatever the sender claims"}'

    refused = daemon.post("/webhook", body, {"X-Hub-Signature-256": signature("wrong", body)})
    unsigned = daemon.post("/webhook", body, {})
    assert (refused.status_code, unsigned.status_code) == (401, 401)
    assert daemon.metric("reconciler_triggers_total", source="webhook") == 0

    accepted = daemon.post(
        "/webhook", body, {"X-Hub-Signature-256": signature("s3cret-for-hooks", body)}
    )
    assert accepted.status_code == 202
    wait_until(lambda: fleet.report()["revision"] == head, 10, what="the webhook's fetch")
    assert daemon.metric("reconciler_webhook_deliveries_total", result="refused") == 2
    assert "s3cret-for-hooks" not in daemon.log_text()


def test_a_burst_of_pushes_is_coalesced(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """Five pushes that land while a pass runs make one more pass, not five."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--interval", "1h")
    daemon.start()
    daemon.wait_ready()
    before = daemon.metric(PASSES, result="completed")
    # a slow health answer holds the next pass in the readback its Deploy All makes before
    # writing (a pass reuses the scheduled readback, a Core with work to do is read afresh)
    slow = {"rules": [{"path_prefix": "/api/v1/health", "latency_ms": 3000}]}
    with fleet.cores["edge-1"].admin_client() as admin:
        admin.put("faults", json=slow).raise_for_status()

    fleet.deploy_all("burst 0")
    wait_until(lambda: daemon.metric("reconciler_pass_in_progress") == 1, what="a pass to start")
    for number in range(1, 6):
        fleet.edit(f"notes/burst-{number}.txt", f"{number}\n")
        last = fleet.push(f"burst {number}")
    assert daemon.metric(PASSES, result="completed") == before, "the burst outlasted the pass"

    wait_until(lambda: fleet.report()["revision"] == last, 30, what="the report of the burst")
    assert daemon.metric(PASSES, result="completed") - before <= 2
    assert daemon.metric("reconciler_triggers_total", source="watch") >= 1


def test_no_commit_while_idle_across_many_readback_intervals(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """Readbacks every 0.2 s and fetches every 0.5 s change no report content, so no commit."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(
        str(fleet.origin), fleet.state, "--readback-interval", "0.2s", "--interval", "0.5s"
    )
    daemon.start()
    daemon.wait_ready()
    fleet.deploy_all("first rollout")
    wait_until(lambda: fleet.row("web")["status"] == "Ready to start", what="the deploy")
    head = fleet.head()
    rounds = daemon.metric("reconciler_readback_rounds_total")

    wait_until(
        lambda: daemon.metric("reconciler_readback_rounds_total") >= rounds + 25,
        30,
        what="25 readback rounds",
    )
    assert fleet.head() == head
    assert daemon.metric(PASSES, result="unchanged") >= 1


def test_a_core_killed_and_restarted_is_reported_unreachable_then_current(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A dead Core is flagged and never blocks passes; back up, it is current again."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.assign("web", ["edge-1", "edge-2"])
    fleet.push("web on both")
    daemon = daemon_factory(
        str(fleet.origin), fleet.state, "--readback-interval", "0.3s", "--log-format", "json"
    )
    daemon.start()
    daemon.wait_ready()
    edge_2 = fleet.cores["edge-2"]

    def reachable(core: str) -> bool:
        [found] = [c for c in fleet.report()["cores"] if c["name"] == core]
        return bool(found["reachable"])

    edge_2.kill()
    wait_until(lambda: not reachable("edge-2"), 15, what="edge-2 reported unreachable")
    assert "core-unreachable" in fleet.row("web")["tags"]
    assert (
        daemon.metric("reconciler_readback_errors_total", core="edge-2", reason="unreachable") > 0
    )
    assert daemon.metric("reconciler_core_reachable", core="edge-1") == 1

    fleet.deploy_all("while edge-2 is down")
    wait_until(
        lambda: fleet.components("edge-1", "connectors").keys() == {"web-in", "web-out"},
        30,
        what="edge-1 deployed while edge-2 is down",
    )

    edge_2.start()
    wait_until(lambda: reachable("edge-2"), 15, what="edge-2 reported reachable again")
    assert "core-unreachable" not in fleet.row("web")["tags"]
    assert daemon.metric("reconciler_core_reachable", core="edge-2") == 1
    log = daemon.log_text()
    assert all(line["level"] and line["message"] for line in daemon.log_lines())
    assert all(core.token not in log for core in fleet.cores.values())


def test_sigterm_during_deploy_all_then_restart_resumes_the_run(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """SIGTERM mid-rollout exits 0 after the Core call in flight; the restart completes the run."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    core = fleet.cores["edge-1"]
    slow = {"rules": [{"path_prefix": "/api/v1", "methods": ["PUT"], "latency_ms": 700}]}
    with core.admin_client() as admin:
        admin.put("faults", json=slow).raise_for_status()
    daemon = daemon_factory(str(fleet.origin), fleet.state)
    daemon.start()
    daemon.wait_ready()

    fleet.deploy_all("slow rollout", "--id", "slow-rollout")

    def deployed() -> int:
        with core.client() as client:
            return sum(len(client.get(kind).json()) for kind in ("streams", "connectors", "tasks"))

    wait_until(lambda: deployed() >= 1, 30, what="the rollout to be under way")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert 1 <= deployed() < 5
    assert "finishing the Core call in flight" in daemon.log_text()

    with core.admin_client() as admin:
        admin.delete("faults").raise_for_status()
    daemon.start()
    wait_until(lambda: fleet.row("web")["status"] == "Ready to start", 30, what="the resumed run")
    assert deployed() == 5
    record = fleet.origin_file("status/deployments/slow-rollout.json")
    assert '"state": "done"' in record


def test_a_second_daemon_on_the_same_state_directory_is_refused(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """The second daemon exits 2 and names the state directory and the first one's pid."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    first = daemon_factory(str(fleet.origin), fleet.state)
    first.start()
    second = daemon_factory(str(fleet.origin), fleet.state)

    done = subprocess.run(
        second.command(), capture_output=True, text=True, timeout=60, env=base_env(), check=False
    )

    assert done.returncode == 2
    assert f"state directory {fleet.state} is in use by another reconciler" in done.stderr
    assert first.process is not None
    assert f"(pid {first.process.pid})" in done.stderr
    assert first.running


def test_an_unreachable_source_is_retried_and_reported_not_fatal(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A missing origin: /readyz says 503 and why, retries go on, and then the daemon is ready."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    later = tmp_path / "later.git"
    daemon = daemon_factory(f"file://{later}", tmp_path / "state-later")
    daemon.start()

    wait_until(lambda: daemon.metric("reconciler_source_errors_total") >= 2, 20, what="a retry")
    answer = daemon.get("/readyz")
    assert answer.status_code == 503
    assert "the Git source is unavailable" in answer.json()["reason"]
    assert daemon.metric("reconciler_source_up") == 0

    git(tmp_path, "clone", "-q", "--bare", str(fleet.origin), str(later))
    daemon.wait_ready(30)
    assert daemon.metric("reconciler_source_up") == 1
    assert daemon.running


def test_a_local_folder_that_is_not_a_repository_is_reported_not_fatal(
    tmp_path: Path, daemon_factory: DaemonFactory
) -> None:
    """A SOURCE folder without Git in it: not ready, the reason says so, the daemon stays up."""
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    daemon = daemon_factory(str(folder), tmp_path / "state")
    daemon.start()

    wait_until(lambda: daemon.metric("reconciler_source_errors_total") >= 1, what="a fetch")
    answer = daemon.get("/readyz")
    assert answer.status_code == 503
    assert str(folder) in answer.json()["reason"]
    assert "not watching it for pushes" in daemon.log_text()
    assert daemon.running
    assert daemon.stop() == 0


def test_a_non_bare_source_is_watched_and_a_refused_report_push_is_reported(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A working repository as SOURCE: a refused report push is reported; commits are watched."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.work), fleet.state, "--interval", "1h")
    daemon.start()

    def refused() -> bool:
        answer = daemon.get("/readyz")
        return answer.status_code == 503 and "push was rejected" in answer.json()["reason"]

    wait_until(refused, 15, what="the refused push to show in /readyz")
    assert "refusing to update checked out branch" in daemon.log_text()
    assert daemon.metric(PASSES, result="failed") >= 1

    git(fleet.work, "config", "receive.denyCurrentBranch", "updateInstead")
    fleet.assign("alerts", ["edge-1"])
    head = fleet.commit_only("assign alerts")
    daemon.wait_ready(30)
    wait_until(
        lambda: (
            '"revision": "' + head in (fleet.work / "status" / "pipelines.json").read_text()
            if (fleet.work / "status" / "pipelines.json").exists()
            else False
        ),
        15,
        what="the report in the working tree",
    )
    assert daemon.metric("reconciler_triggers_total", source="watch") >= 1
