"""Deploy All through the command line: failures, resumption, pinned plans, superseding, idling."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from tests.support.access import AccessLog, set_faults
from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory
from tests.support.fleet import SCRIPT, Fleet
from tests.support.repos import git

WEB = {
    "streams": {"web-raw", "web-errors"},
    "connectors": {"web-in", "web-out"},
    "tasks": {"web-errors-only"},
}


def names(fleet: Fleet, core: str, kind: str) -> set[str]:
    return set(fleet.components(core, kind))


def run_record(fleet: Fleet, run_id: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(fleet.origin_file(f"status/deployments/{run_id}.json"))
    return loaded


def latest_run_id(fleet: Fleet) -> str:
    return str(fleet.report()["requests"][0]["id"])


def test_core_down_during_deploy_all(tmp_path: Path, core_factory: CoreFactory) -> None:
    """A dead Core fails alone and is tagged; the next Deploy All completes it."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.once()
    fleet.assign("web", ["edge-1", "edge-2"])
    fleet.push("web on both")
    fleet.cores["edge-2"].kill()
    fleet.deploy_all("while edge-2 is down")
    fleet.once()

    row = fleet.row("web")
    assert row["status"] == "Pending deployment"
    assert {"deploy-failed", "core-unreachable"} <= set(row["tags"])
    assert names(fleet, "edge-1", "connectors") == WEB["connectors"]
    record = run_record(fleet, latest_run_id(fleet))
    assert record["state"] == "failed"
    outcomes = {c["core"]: c["outcome"] for c in record["cores"]}  # type: ignore[attr-defined]
    assert outcomes == {"edge-1": "done", "edge-2": "failed"}

    fleet.cores["edge-2"].start()
    fleet.deploy_all("edge-2 is back")
    fleet.once()
    assert fleet.row("web")["status"] == "Ready to start"
    assert fleet.row("web")["tags"] == []
    assert names(fleet, "edge-2", "connectors") == WEB["connectors"]


def test_killed_pass_resumes_the_deploy(tmp_path: Path, core_factory: CoreFactory) -> None:
    """A pass killed mid-run leaves the request running; the next pass finishes it, once."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    edge = fleet.cores["edge-1"]
    set_faults(edge, {"path_prefix": "/api/v1/", "methods": ["PUT"], "latency_ms": 400})
    fleet.deploy_all("slow rollout")
    access = AccessLog(edge)
    command = [SCRIPT, "once", "--repo", str(fleet.origin), "--state-dir", str(fleet.state)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=fleet.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_until(
        lambda: len(names(fleet, "edge-1", "streams")) >= 2, timeout=30, what="two streams created"
    )
    process.send_signal(signal.SIGKILL)
    process.wait()
    set_faults(edge)
    assert names(fleet, "edge-1", "connectors") != WEB["connectors"]

    fleet.once()

    assert fleet.row("web")["status"] == "Ready to start"
    assert names(fleet, "edge-1", "tasks") == WEB["tasks"]
    assert [r["state"] for r in fleet.report()["requests"]] == ["done"]
    for kind, created in WEB.items():
        for name in created:
            assert access.count("PUT", f"{kind}/{name}") == 1, (
                f"{kind}/{name} was written more than once"
            )


def test_expect_plan_pins_what_was_approved(tmp_path: Path, core_factory: CoreFactory) -> None:
    """A marker expecting another plan is refused and deploys nothing; the right digest deploys."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.deploy_all("pinned wrongly", "--expect-plan", "sha256:" + "0" * 64)
    fleet.once()
    record = run_record(fleet, latest_run_id(fleet))
    assert record["state"] == "refused"
    assert "nothing was deployed" in str(record["note"])
    assert names(fleet, "edge-1", "streams") == set()

    planned = json.loads(fleet.reconciler("plan", str(fleet.work), "--format", "json").stdout)
    assert planned["digest"] == record["plan_digest"]
    fleet.deploy_all("pinned rightly", "--expect-plan", planned["digest"])
    fleet.once()
    assert run_record(fleet, latest_run_id(fleet))["state"] == "done"
    assert names(fleet, "edge-1", "streams") == WEB["streams"]


def test_older_pending_requests_are_superseded(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Two Deploy All requests in one pass: the newest runs, the older is recorded as superseded."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.deploy_all("first", "--id", "first")
    fleet.assign("alerts", ["edge-1"])
    fleet.push("assign alerts")
    fleet.deploy_all("second", "--id", "second")
    fleet.once()
    states = {r["id"]: r["state"] for r in fleet.report()["requests"]}
    assert states == {"first": "superseded", "second": "done"}
    assert "superseded by the newer Deploy All second" in str(run_record(fleet, "first")["note"])
    assert "web-detect" in names(fleet, "edge-1", "tasks")


def test_trailer_requests_a_deploy(tmp_path: Path, core_factory: CoreFactory) -> None:
    """A commit with a `Deploy-All:` trailer deploys without any marker file."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.edit("NOTES.md", "release notes\n")
    git(fleet.work, "add", "-A")
    git(fleet.work, "commit", "-q", "-m", "Release 1.2\n\nDeploy-All: release 1.2")
    fleet.push_only()
    fleet.once()
    [request] = fleet.report()["requests"]
    assert request["id"].startswith("trailer-")
    assert request["state"] == "done"
    assert names(fleet, "edge-1", "connectors") == WEB["connectors"]


def test_markers_before_the_first_pass_are_history(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """The first pass takes the head as its baseline: markers already there never run."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.deploy_all("before the daemon existed")
    fleet.once()
    fleet.once()
    assert fleet.report()["requests"] == []
    assert names(fleet, "edge-1", "streams") == set()


def test_idle_passes_make_no_commit(tmp_path: Path, core_factory: CoreFactory) -> None:
    """With nothing new, passes read back and decide, but never commit."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    head = fleet.head()
    for _ in range(3):
        assert fleet.once().stdout.strip().endswith("report: unchanged")
    assert fleet.head() == head


def test_invalid_revision_is_refused_and_the_last_valid_kept(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """A broken push is never deployed; the report names the problem and keeps the last valid."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    valid = fleet.report()["revision"]
    fleet.edit(
        "registry/pipelines/pipelines.yaml",
        fleet.work.joinpath("registry/pipelines/pipelines.yaml")
        .read_text()
        .replace("sinks: [web-out]", "sinks: [nowhere]"),
    )
    fleet.edit("deploy/broken.yaml", "apiVersion: reconciler/v1\nkind: DeployAll\nreason: broken\n")
    fleet.push("break the web pipeline and ask for a deploy")
    fleet.once()
    report = fleet.report()
    assert report["revision"] == valid
    assert "Connector 'nowhere'" in report["refused"]["problems"][0]
    assert [r["state"] for r in report["requests"]] == ["refused"]
    assert "Declared state refused" in fleet.origin_file("status/README.md")
    assert names(fleet, "edge-1", "streams") == set()


def test_core_action_marker_runs_once(tmp_path: Path, core_factory: CoreFactory) -> None:
    """An actions/ marker starts the pipeline in its pass, and never again."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.deploy_all("deploy")
    fleet.once()
    fleet.edit(
        "actions/start-web.yaml",
        "apiVersion: reconciler/v1\nkind: CoreAction\naction: start\npipeline: web\n",
    )
    fleet.push("start web")
    fleet.once()
    assert fleet.row("web")["status"] == "Running"
    fleet.action("stop", "web")
    fleet.once()
    assert fleet.row("web")["status"] == "Ready to start"
    states = {r["id"]: r["state"] for r in fleet.report()["requests"]}
    assert states["start-web"] == "done"
    assert (
        json.loads(fleet.origin_file("status/actions/start-web.json"))["cores"][0]["outcome"]
        == "done"
    )


def test_start_is_refused_where_not_deployed(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Start never deploys: on a Core without the deployment it is refused with the reason."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    done = fleet.action("start", "web", check=False)
    assert done.returncode == 1
    assert "edge-1: refused: pipeline web is not deployed on core edge-1" in done.stdout
    assert names(fleet, "edge-1", "streams") == set()


def test_tokens_never_leak(tmp_path: Path, core_factory: CoreFactory) -> None:
    """No Core token appears in any output, report, commit or the ledger."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.once()
    fleet.cores["edge-2"].kill()
    fleet.deploy_all("go")
    fleet.once()
    fleet.action("start", "web")
    fleet.reconciler("status", str(fleet.work), "--format", "json")
    fleet.reconciler("plan", str(fleet.work), "--format", "markdown")
    history = git(fleet.origin, "log", "-p", "--all")
    ledger = (fleet.state / "ledger.sqlite3").read_bytes().decode("latin-1")
    for core in fleet.cores.values():
        for text in [*fleet.outputs, history, ledger]:
            assert core.token not in text


def test_rejected_report_push_is_rebuilt_on_the_new_head(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """When the origin refuses the report push once, the pass runs again and pushes on top."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    hook = fleet.origin / "hooks" / "pre-receive"
    flag = tmp_path / "refused-once"
    refuse_once = f'if [ ! -e "{flag}" ]; then touch "{flag}"; echo "busy" >&2; exit 1; fi'
    hook.write_text(f"#!/bin/sh\n{refuse_once}\n")
    hook.chmod(0o755)
    fleet.assign("alerts", ["edge-1"])
    git(fleet.work, "commit", "-qam", "assign alerts")
    hook.rename(hook.with_suffix(".off"))
    fleet.push_only()
    hook.with_suffix(".off").rename(hook)

    done = fleet.once()

    assert flag.exists()
    assert "(pushed)" in done.stdout
    assert fleet.row("alerts")["status"] == "Pending deployment"
