"""The engine's commands as a person types them: formats, orders, policies, errors, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.decide.declared.schemas import validator_for
from tests.support.access import AccessLog, set_faults
from tests.support.fixtures import CoreFactory
from tests.support.fleet import Fleet


@pytest.fixture
def fleet(tmp_path: Path, core_factory: CoreFactory) -> Fleet:
    return Fleet.create(tmp_path, core_factory, ["edge-1"])


def test_plan_formats_agree(fleet: Fleet) -> None:
    """Text, Markdown and JSON show the same operations and the same digest."""
    text = fleet.reconciler("plan", str(fleet.work)).stdout
    markdown = fleet.reconciler("plan", str(fleet.work), "--format", "markdown").stdout
    document = json.loads(fleet.reconciler("plan", str(fleet.work), "--format", "json").stdout)
    assert document["changes"] == 5
    assert text.startswith(f"Plan for {document['revision'][:12]}: 5 change(s) on 1 Core(s)")
    assert "  + create streams/web-errors  (not on the Core)" in text
    assert markdown.startswith(f"### Deploy All plan for `{document['revision'][:12]}`")
    assert "| edge-1 | + create | `connectors/web-in` | not on the Core |" in markdown
    for rendered in (text, markdown):
        assert document["digest"] in rendered


def test_status_formats(fleet: Fleet) -> None:
    """Status prints rows as text, the report as Markdown, and pipelines.json as JSON."""
    text = fleet.reconciler("status", str(fleet.work)).stdout
    assert re.search(r"^web\s+Pending deployment\s+-$", text, re.MULTILINE)
    markdown = fleet.reconciler("status", str(fleet.work), "--format", "markdown").stdout
    assert "| web | **Pending deployment** | edge-1 |" in markdown
    document = json.loads(fleet.reconciler("status", str(fleet.work), "--format", "json").stdout)
    assert list(validator_for("pipelines.schema.json").iter_errors(document)) == []


def test_start_and_stop_orders(fleet: Fleet) -> None:
    """Start runs sinks, tasks, source; stop runs source, tasks, sinks."""
    fleet.once()
    fleet.deploy_all("deploy")
    fleet.once()
    access = AccessLog(fleet.cores["edge-1"])
    fleet.action("start", "web")
    fleet.action("stop", "web")
    calls = [
        re.search(r"POST /api/v1/(\w+/[\w-]+/\w+)", line).group(1)  # type: ignore[union-attr]
        for line in access.lines()
        if "POST /api/v1/" in line
    ]
    assert calls == [
        "connectors/web-out/start",
        "tasks/web-errors-only/start",
        "connectors/web-in/start",
        "connectors/web-in/stop",
        "tasks/web-errors-only/stop",
        "connectors/web-out/stop",
    ]


def test_stop_keeps_components_another_running_pipeline_uses(fleet: Fleet) -> None:
    """Stopping `alerts` leaves the source it shares with the running `web` running."""
    fleet.once()
    fleet.assign("alerts", ["edge-1"])
    fleet.push("assign alerts")
    fleet.deploy_all("deploy both")
    fleet.once()
    fleet.action("start", "web")
    fleet.action("start", "alerts")
    stopped = fleet.action("stop", "alerts").stdout
    assert stopped.startswith("edge-1: done")
    states = {name: c["state"] for name, c in fleet.components("edge-1", "connectors").items()}
    assert states == {"web-in": "running", "web-out": "running", "alerts-out": "stopped"}
    fleet.once()
    assert fleet.row("web")["status"] == "Running"
    assert fleet.row("alerts")["status"] == "Ready to start"


def test_rollout_stops_after_too_many_failed_cores(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """With max_failed_cores 0 and one Core at a time, the first failure skips the rest."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2", "edge-3"])
    rollout = "rollout:\n  parallelism: 1\n  max_failed_cores: 0\n"
    fleet.edit("reconciler.yaml", f"apiVersion: reconciler/v1\nkind: Settings\n{rollout}")
    fleet.assign("web", ["edge-1", "edge-2", "edge-3"])
    fleet.push("web everywhere, careful rollout")
    fleet.once()
    set_faults(fleet.cores["edge-1"], {"path_prefix": "/api/v1/", "refuse_deploys": True})
    fleet.deploy_all("careful")
    fleet.once()
    [request] = fleet.report()["requests"]
    record = json.loads(fleet.origin_file(f"status/deployments/{request['id']}.json"))
    outcomes = {core["core"]: (core["outcome"], core["reason"]) for core in record["cores"]}
    assert outcomes == {
        "edge-1": ("failed", "rejected"),
        "edge-2": ("skipped", "rollout-stopped"),
        "edge-3": ("skipped", "rollout-stopped"),
    }
    assert fleet.components("edge-2", "streams") == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["action", "start", "ghost"], "pipeline 'ghost' is not declared in the repository"),
        (["action", "start", "web", "--core", "edge-9"], "--core 'edge-9' is not a declared Core"),
        (
            ["action", "start", "alerts"],
            "pipeline 'alerts' has no assigned Cores; name them with --core",
        ),
        (["once"], "--repo is required (or set RECONCILER_REPO)"),
        (["deploy-all", "--reason", "x", "--id", "Bad Id"], "--id 'Bad Id' is not a valid id"),
        (["deploy-all", "--reason", "x", "--expect-plan", "abc"], "--expect-plan must be a digest"),
        (["once", "--repo", "r", "--interval", "x"], None),
    ],
)
def test_usage_errors_name_the_flag(fleet: Fleet, args: list[str], message: str | None) -> None:
    """Each mistake a person can make exits 2 with one sentence naming what to fix."""
    if args[0] == "action":
        args = [*args, "--repo", str(fleet.work)]
    if args[0] == "deploy-all":
        args = [args[0], str(fleet.work), *args[1:]]
    done = fleet.reconciler(*args, check=False)
    assert done.returncode == 2
    if message is not None:
        assert message in done.stderr


def test_invalid_folder_exits_1_and_does_nothing(fleet: Fleet) -> None:
    """Plan, status and action on an invalid folder print the problems and exit 1."""
    fleet.edit("cores/extra.yaml", "apiVersion: reconciler/v1\nkind: Core\nname: extra\n")
    for args in (
        ["plan", str(fleet.work)],
        ["status", str(fleet.work)],
        ["action", "start", "web", "--repo", str(fleet.work)],
    ):
        done = fleet.reconciler(*args, check=False)
        assert done.returncode == 1
        assert (
            "cores/extra.yaml:1: Core 'extra': missing required key(s): 'url', 'token'"
            in done.stderr
        )


def test_unreachable_source_exits_1_naming_it(fleet: Fleet) -> None:
    """`once` against a source that cannot be fetched says so and exits 1."""
    missing = str(fleet.root / "no-such-origin.git")
    done = fleet.reconciler("once", "--repo", missing, "--state-dir", str(fleet.state), check=False)
    assert done.returncode == 1
    assert f"git ls-remote on {missing} failed" in done.stderr
