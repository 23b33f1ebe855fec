"""`reconciler run` as a real subprocess, against real Cores and a real bare origin."""

from __future__ import annotations

from pathlib import Path

from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet


def test_first_report_then_a_pushed_deploy_all_is_deployed_and_reported(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """The first pass writes the report; a pushed Deploy All lands on the Core and is reported."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s")
    daemon.start()
    daemon.wait_ready()
    assert fleet.row("web")["status"] == "Pending deployment"
    assert daemon.get("/api/status").json()["revision"] == fleet.report()["revision"]

    fleet.deploy_all("first rollout")
    wait_until(
        lambda: fleet.row("web")["status"] == "Ready to start", 30, what="web to be deployed"
    )
    assert sorted(fleet.components("edge-1", "connectors")) == ["web-in", "web-out"]
    assert daemon.metric("reconciler_deploy_outcomes_total", core="edge-1", outcome="done") == 1
    assert daemon.stop() == 0
