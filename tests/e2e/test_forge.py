"""The daemon and a Git host: statuses on commits, one plan comment per pull request.

The daemon runs as a subprocess against a real bare origin (pull request heads pushed to
`refs/pull/N/head`, as GitHub keeps them) and real reference Cores; the host's API is the fake
of `tests.support.forgehost`, which checks every request against docs/forge-api/github.json.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reconciler.shell.daemon.webhook import signature
from tests.support.cores import wait_until
from tests.support.daemon import DaemonProcess
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.forgehost import ForgeHost
from tests.support.repos import git

TOKEN = "ghp_forgeTOKENnever-shown-7Q2x"  # noqa: S105 (the test's token, scanned for below)
SECRET = "hook-secret-for-forge-tests"  # noqa: S105
REPO = "acme/pipelines"


def start(
    fleet: Fleet, factory: DaemonFactory, host: ForgeHost, tmp_path: Path, *extra: str
) -> DaemonProcess:
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(SECRET)
    daemon = factory(
        str(fleet.origin),
        fleet.state,
        "--forge",
        "github",
        "--forge-url",
        host.url,
        "--forge-repo",
        REPO,
        "--forge-token-env",
        "RECONCILER_FORGE_TOKEN",
        "--webhook-secret-file",
        str(secret_file),
        "--readback-interval",
        "2s",
        *extra,
    )
    daemon.env["RECONCILER_FORGE_TOKEN"] = TOKEN
    daemon.start()
    daemon.wait_ready()
    return daemon


def pull_request_moved(daemon: DaemonProcess) -> None:
    """What GitHub sends when a pull request is opened or pushed to."""
    body = b'{"action": "synchronize", "number": 1}'
    headers = {
        "X-Hub-Signature-256": signature(SECRET, body),
        "X-GitHub-Event": "pull_request",
        "Content-Type": "application/json",
    }
    assert daemon.post("/webhook", body, headers).status_code == 202


def push_pull(fleet: Fleet, host: ForgeHost, message: str, files: list[str]) -> str:
    """Commit on the pull request's branch and push it where GitHub keeps PR heads."""
    sha = fleet.commit_only(message)
    git(fleet.work, "push", "-q", "-f", "origin", "HEAD:refs/pull/1/head")
    host.open_pull(1, sha, files)
    return sha


def states(host: ForgeHost, sha: str, context: str) -> list[str]:
    return [str(s["state"]) for s in host.statuses_for(sha, context)]


def the_comment(host: ForgeHost) -> dict[str, Any]:
    [comment] = host.comments_on(1)
    return comment


def scan_for_token(fleet: Fleet, daemon: DaemonProcess, host: ForgeHost) -> None:
    """The token appears nowhere: output, log, report, commits, state, or what the host got."""
    everything = [daemon.log_text(), *fleet.outputs]
    everything.append(git(fleet.origin, "log", "--all", "-p", "--format=%H %an %s %b"))
    everything += [
        path.read_bytes().decode("latin-1") for path in fleet.state.rglob("*") if path.is_file()
    ]
    everything += [str(s) for s in host.statuses] + [str(c) for c in host.comments.values()]
    for part in (TOKEN, TOKEN[:12], TOKEN[-12:]):
        assert not any(part in text for text in everything), f"{part!r} leaked"


def test_pull_request_comment_statuses_and_a_pinned_deploy(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """Opened, pushed twice, merged: one comment edited twice, the statuses, a pinned deploy."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    host = ForgeHost.start("github", REPO, TOKEN)
    try:
        base = fleet.head()
        daemon = start(fleet, daemon_factory, host, tmp_path)
        wait_until(lambda: states(host, base, "reconciler/validate") == ["success"], 30)

        git(fleet.work, "pull", "-q", "--rebase")
        git(fleet.work, "checkout", "-q", "-b", "alerts-on-edge")
        fleet.assign("alerts", ["edge-1"])
        shas = [push_pull(fleet, host, "alerts on edge-1", ["assignments/alerts.yaml"])]
        pull_request_moved(daemon)
        wait_until(lambda: shas[0][:12] in str(host.comments_on(1)), 30, what="the comment")
        for n in (2, 3):
            fleet.edit("assignments/alerts.yaml", fleet_assignment(["edge-1"], n))
            shas.append(push_pull(fleet, host, f"push {n}", ["assignments/alerts.yaml"]))
            pull_request_moved(daemon)
            wait_until(lambda: shas[-1][:12] in the_comment(host)["body"], 30, what=f"push {n}")

        body = the_comment(host)["body"]
        assert len(host.comments_on(1)) == 1
        assert len(host.edits()) == 2
        assert body.startswith("<!-- reconciler:plan -->\n")
        assert "| edge-1 | + create |" in body
        assert "alerts-out" in body
        [digest] = re.findall(r"expect_plan: (sha256:[0-9a-f]{64})", body)
        for sha in shas:
            wait_until(lambda sha=sha: states(host, sha, "reconciler/plan") == ["success"], 30)
        (tmp_path / "plan-comment.md").write_text(body)  # the README's excerpt comes from here

        git(fleet.work, "pull", "-q", "--rebase", "origin", "main")  # the merge
        git(fleet.work, "push", "-q", "origin", "HEAD:main")
        merged = git(fleet.work, "rev-parse", "HEAD")
        host.close_pull(1)
        wait_until(lambda: states(host, merged, "reconciler/validate") == ["success"], 30)

        git(fleet.work, "checkout", "-q", "main")
        git(fleet.work, "pull", "-q", "--rebase", "origin", "main")
        fleet.deploy_all("alerts everywhere", "--expect-plan", digest)
        marker = git(fleet.work, "rev-parse", "HEAD")
        wait_until(
            lambda: states(host, marker, "reconciler/deploy")[-1:] == ["success"],
            60,
            what="the deploy status",
        )
        seen = states(host, marker, "reconciler/deploy")
        assert set(seen[:-1]) <= {"pending"}
        [done] = [
            s for s in host.statuses_for(marker, "reconciler/deploy") if s["state"] == "success"
        ]
        assert done["target_url"].endswith(".md")
        assert "done on 1 Core(s)" in done["description"]
        assert sorted(fleet.components("edge-1", "connectors")) == [
            "alerts-out",
            "web-in",
            "web-out",
        ]
        assert host.problems == []
        assert daemon.metric("reconciler_forge_requests_total", outcome="ok") > 0
        assert daemon.stop() == 0
        scan_for_token(fleet, daemon, host)
    finally:
        host.stop()


def test_a_refused_marker_lands_once_the_host_recovers(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """The host answers 500 while a wrongly pinned marker is refused; no status is lost."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    host = ForgeHost.start("github", REPO, TOKEN)
    try:
        base = fleet.head()
        daemon = start(fleet, daemon_factory, host, tmp_path)
        wait_until(lambda: states(host, base, "reconciler/validate") == ["success"], 30)
        host.fail(500, times=None)
        fleet.deploy_all("pinned wrongly", "--expect-plan", "sha256:" + "0" * 64)
        marker = git(fleet.work, "rev-parse", "HEAD")
        wait_until(
            lambda: [r["state"] for r in fleet.report()["requests"]] == ["refused"],
            60,
            what="the refusal",
        )
        wait_until(lambda: daemon.metric("reconciler_forge_retries_total") >= 2, 30)
        ready = daemon.get("/readyz").json()
        assert ready["details"]["forge"]["queued"] >= 1
        assert "500" in str(ready["details"]["forge"]["last_error"])
        assert states(host, marker, "reconciler/deploy") == []

        host.recover()
        wait_until(
            lambda: states(host, marker, "reconciler/deploy")[-1:] == ["failure"], 90, what="it"
        )
        [refused] = host.statuses_for(marker, "reconciler/deploy")[-1:]
        assert refused["description"].startswith("refused: the plan is sha256:")
        assert states(host, marker, "reconciler/validate") == ["success"]
        assert host.problems == []
        assert daemon.stop() == 0
        scan_for_token(fleet, daemon, host)
    finally:
        host.stop()


def fleet_assignment(cores: list[str], push: int) -> str:
    """The alerts assignment, with a comment that changes on every push."""
    return (
        f"# push {push}\napiVersion: reconciler/v1\nkind: Assignment\n"
        f"pipeline: alerts\ncores: {cores}\n".replace("'", '"')
    )


def test_gitlab_merge_request_and_a_slow_host(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """GitLab: a merge request head and its hook; a slow host holds up no pass."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    host = ForgeHost.start("gitlab", REPO, TOKEN)
    try:
        base = fleet.head()
        daemon = start(fleet, daemon_factory, host, tmp_path, "--forge", "gitlab")
        wait_until(lambda: states(host, base, "reconciler/validate") == ["success"], 30)

        host.delay = 1.0  # every answer takes a second from now on
        fleet.assign("alerts", ["edge-1"])
        pushed = fleet.push("alerts on edge-1, straight to main")
        wait_until(
            lambda: (
                "alerts" in {r["pipeline"] for r in fleet.report()["pipelines"]}
                and fleet.row("alerts")["status"] == "Pending deployment"
            ),
            30,
            what="a pass while the host is slow",
        )
        git(fleet.work, "checkout", "-q", "-b", "mr")
        fleet.assign("alerts", [])
        sha = fleet.commit_only("alerts nowhere")
        git(fleet.work, "push", "-q", "-f", "origin", "HEAD:refs/merge-requests/2/head")
        host.open_pull(2, sha, ["assignments/alerts.yaml"])
        host.delay = 0.0
        body = b'{"object_kind": "merge_request"}'
        hook = {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Merge Request Hook"}
        assert daemon.post("/webhook", body, hook).status_code == 202
        wait_until(lambda: host.comments_on(2) != [], 30, what="the merge request's note")
        assert sha[:12] in host.comments_on(2)[0]["body"]
        wait_until(lambda: states(host, pushed, "reconciler/validate") == ["success"], 30)
        wait_until(lambda: states(host, sha, "reconciler/plan") == ["success"], 30)
        assert host.problems == []
        assert daemon.stop() == 0
        scan_for_token(fleet, daemon, host)
    finally:
        host.stop()
