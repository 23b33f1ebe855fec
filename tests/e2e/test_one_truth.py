"""Every answer agrees and says why: status, plan, diff, action and the report, as on-call sees.

The report is what `reconciler once` (one pass of the daemon) writes; `status` is asked with
and without `--state-dir` in a person's up-to-date clone, against the same Cores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.repos import git

TASK = {
    "name": "web-errors-only",
    "mode": "processing",
    "source_stream": "web-raw",
    "sink_streams": ["web-errors"],
    "query": "status >= 400",
}


def deployed(tmp_path: Path, core_factory: CoreFactory) -> Fleet:
    """web on edge-1 and edge-2, deployed and started."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.assign("web", ["edge-1", "edge-2"])
    fleet.push("web on both")
    fleet.once()
    fleet.deploy_all("first")
    fleet.once()
    fleet.action("start", "web")
    fleet.once()
    return fleet


def delete_sink(fleet: Fleet) -> None:
    """Stop and delete edge-1's sink behind the reconciler's back."""
    with fleet.cores["edge-1"].client() as client:
        client.post("connectors/web-out/stop").raise_for_status()
        client.delete("connectors/web-out").raise_for_status()


def replace_task(fleet: Fleet) -> None:
    with fleet.cores["edge-1"].client() as client:
        client.put("tasks/web-errors-only", json=TASK).raise_for_status()


def stop_core(fleet: Fleet) -> None:
    fleet.cores["edge-2"].stop()


CHANGES: dict[str, Callable[[Fleet], None]] = {
    "a component deleted on a Core": delete_sink,
    "a task replaced by hand": replace_task,
    "a Core down": stop_core,
}


def rows_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["pipelines"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("change", list(CHANGES))
def test_status_gives_the_daemons_rows_with_or_without_its_state(
    change: str, tmp_path: Path, core_factory: CoreFactory
) -> None:
    """After each change, status with and without --state-dir equals the report, cell by cell."""
    fleet = deployed(tmp_path, core_factory)
    CHANGES[change](fleet)
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")

    report = rows_of(fleet.report())
    plain = rows_of(
        json.loads(fleet.reconciler("status", str(fleet.work), "--format", "json").stdout)
    )
    with_state = json.loads(
        fleet.reconciler(
            "status", str(fleet.work), "--format", "json", "--state-dir", str(fleet.state)
        ).stdout
    )

    assert plain == report
    assert rows_of(with_state) == report


def test_start_after_a_deleted_sink_is_refused_and_nothing_starts(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """With or without --state-dir, start is refused on the Core missing the sink, naming it."""
    fleet = deployed(tmp_path, core_factory)
    fleet.action("stop", "web")
    delete_sink(fleet)
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")

    plain = fleet.reconciler("action", "start", "web", "--repo", str(fleet.work), check=False)
    with_state = fleet.action("start", "web", check=False)

    for done in (plain, with_state):
        assert done.returncode == 1
        assert "edge-1: refused: pipeline web is not fully deployed on core edge-1" in done.stdout
        assert "missing: web-out" in done.stdout
    states = {name: c["state"] for name, c in fleet.components("edge-1", "connectors").items()}
    assert states == {"web-in": "stopped"}


def test_drift_says_what_and_where_in_every_output(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """The replaced task's field shows in the report (both files), status, plan and diff."""
    fleet = deployed(tmp_path, core_factory)
    replace_task(fleet)
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    work = str(fleet.work)

    readme = fleet.origin_file("status/README.md")
    [cell] = [c for c in fleet.row("web")["cores"] if c["core"] == "edge-1"]
    status = fleet.reconciler("status", work).stdout
    plan = fleet.reconciler("plan", work).stdout
    plan_md = fleet.reconciler("plan", work, "--format", "markdown").stdout
    plan_json = json.loads(fleet.reconciler("plan", work, "--format", "json").stdout)
    diff = fleet.reconciler("diff", "web", "--repo", work, check=False)

    assert "task/web-errors-only: query" in readme
    assert cell["drift"][0]["fields"] == [
        {"path": "query", "deployed": "status >= 500 | fields path, status",
         "observed": "status >= 400", "absent": False},
    ]  # fmt: skip
    assert 'query: "status >= 500 | fields path, status" -> "status >= 400"' in status
    assert 'query: "status >= 400" -> "status >= 500 | fields path, status"' in plan
    assert "`query`" in plan_md
    [update] = [op for core in plan_json["cores"] for op in core["operations"]]
    assert update["changes"][0]["path"] == "query"
    assert diff.returncode == 2
    assert "web on edge-1:" in diff.stdout
    assert fleet.reconciler("diff", "web", "--repo", work, "--core", "edge-2").returncode == 0


def test_a_mistyped_state_dir_creates_nothing(tmp_path: Path, core_factory: CoreFactory) -> None:
    """status, plan, action and diff refuse a state directory without a ledger; run makes none
    before refusing a bad --listen."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    wrong = tmp_path / "stat"
    work = str(fleet.work)
    for args in (
        ["status", work, "--state-dir", str(wrong)],
        ["plan", work, "--state-dir", str(wrong)],
        ["diff", "--repo", work, "--state-dir", str(wrong)],
        ["action", "start", "web", "--repo", work, "--state-dir", str(wrong)],
        ["run", "--repo", str(fleet.origin), "--state-dir", str(wrong), "--listen", "nonsense"],
    ):
        done = fleet.reconciler(*args, check=False)
        assert done.returncode == 2, args
        assert len(done.stderr.strip().splitlines()[-1:]) == 1
        assert not wrong.exists(), args


def test_a_folder_that_is_no_repository_is_said_so(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """validate, status and plan in an empty folder exit 2 with one sentence."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in ("validate", "status", "plan"):
        done = fleet.reconciler(command, str(empty), check=False)
        assert done.returncode == 2, command
        assert "does not look like a reconciler repository" in done.stderr


def test_exit_codes_for_scripts(tmp_path: Path, core_factory: CoreFactory) -> None:
    """status --exit-code and plan --detailed-exitcode say whether someone is needed."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    work = str(fleet.work)
    assert fleet.reconciler("status", work, "--exit-code", check=False).returncode == 1
    assert fleet.reconciler("plan", work, "--detailed-exitcode", check=False).returncode == 2
    fleet.deploy_all("first")
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    assert fleet.reconciler("status", work, "--exit-code", check=False).returncode == 0
    assert fleet.reconciler("plan", work, "--detailed-exitcode", check=False).returncode == 0
    progress = fleet.reconciler("status", work).stderr
    assert "reading back 1 Core(s)" in progress
    assert "core edge-1: read back in" in progress


def test_the_log_names_every_request_outcome(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A refused Deploy All and a marker-driven start each log when taken and when they end."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--interval", "1h")
    daemon.start()
    daemon.wait_ready()
    fleet.deploy_all("pinned wrong", "--id", "pinned", "--expect-plan", "sha256:" + "0" * 64)
    fleet.edit(
        "actions/go.yaml",
        "apiVersion: reconciler/v1\nkind: CoreAction\naction: start\npipeline: web\n",
    )
    fleet.push("start web")

    def logged() -> bool:
        text = daemon.log_text()
        ended = ("request pinned: refused", "request pinned: failed", "request pinned: done")
        go_ended = "request go: failed" in text or "request go: done" in text
        return go_ended and any(line in text for line in ended)

    # The two requests may be judged in one pass, and their last lines come in either order.
    wait_until(logged, 30, what="both requests' last log lines")
    text = daemon.log_text()
    assert "request pinned: taken (Deploy All from commit" in text
    assert "request pinned: refused: the plan is sha256:" in text
    assert "request go: taken (start web on edge-1 from commit" in text
    assert daemon.stop() == 0


def test_deploy_all_prints_the_commit_that_is_judged(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """The commit deploy-all prints is the one the daemon records the request at."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    done = fleet.reconciler("deploy-all", str(fleet.work), "--reason", "go", "--id", "go")
    git(fleet.work, "push", "-q", "origin", "HEAD:main")
    fleet.once()
    printed = done.stdout.split()[1]
    record = json.loads(fleet.origin_file("status/deployments/go.json"))
    assert record["request"]["commit"].startswith(printed)


def test_once_says_why_the_report_push_was_refused(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """Against the checked-out branch of a non-bare clone, once exits 1 quoting git."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    done = fleet.reconciler(
        "once", "--repo", str(fleet.work), "--state-dir", str(tmp_path / "s"), check=False
    )
    assert done.returncode == 1
    assert "the source said" in done.stderr
    assert "refusing to update checked out branch" in done.stderr
