"""The whole lifecycle through the command line, against real Cores and a real bare origin."""

from __future__ import annotations

from pathlib import Path

from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory
from tests.support.fleet import Fleet


def test_assign_deploy_start_drift_repair_remove(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Assign → Pending; Deploy All → Ready; Start → Running with events; drift; repair; removal."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])

    # the first pass takes the head as its baseline and reports what is declared
    fleet.once()
    assert fleet.row("web")["status"] == "Pending deployment"
    assert fleet.row("alerts")["status"] == "No assigned Cores"
    assert fleet.components("edge-1", "connectors") == {}

    # Deploy All: components land on edge-1, stopped
    fleet.deploy_all("first rollout")
    fleet.once()
    assert fleet.row("web")["status"] == "Ready to start"
    connectors = fleet.components("edge-1", "connectors")
    assert sorted(connectors) == ["web-in", "web-out"]
    assert {c["state"] for c in connectors.values()} == {"stopped"}

    # Start: Running, and events flow through the filter
    fleet.action("start", "web")
    fleet.once()
    assert fleet.row("web")["status"] == "Running"
    data = fleet.cores["edge-1"].data_dir
    log = data / "in" / "web.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as handle:
        handle.write('{"path": "/ok", "status": 200}\n{"path": "/boom", "status": 503}\n')
    out = data / "out" / "web-errors.jsonl"
    wait_until(lambda: out.exists() and "/boom" in out.read_text(), what="a filtered event")
    assert "/ok" not in out.read_text()

    # an edit on the Core, out of band: Drift detected
    with fleet.cores["edge-1"].admin_client() as admin:
        admin.patch("tasks/web-errors-only", json={"query": "status >= 400"}).raise_for_status()
    fleet.once()
    assert fleet.row("web")["status"] == "Drift detected"
    assert "deployment-drift" in fleet.row("web")["tags"]

    # Deploy All repairs it, and the pipeline keeps running
    fleet.deploy_all("repair drift")
    fleet.once()
    assert fleet.row("web")["status"] == "Running"
    assert (
        fleet.components("edge-1", "tasks")["web-errors-only"]["query"]
        == "status >= 500 | fields path, status"
    )

    # unassign: removal pending until the next Deploy All removes it from the Core
    fleet.assign("web", [])
    fleet.push("unassign web")
    fleet.once()
    assert fleet.row("web")["status"] == "Pending deployment"
    assert "removal-pending" in fleet.row("web")["tags"]
    fleet.deploy_all("remove web")
    fleet.once()
    assert fleet.row("web")["status"] == "No assigned Cores"
    assert fleet.components("edge-1", "connectors") == {}
    assert fleet.components("edge-1", "streams") == {}
