"""`reconciler plan --revision REV --base BASE`: a pull request's plan, no checkout, real Cores."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from tests.support.fixtures import CoreFactory
from tests.support.fleet import Fleet, core_yaml
from tests.support.repos import commit_all, git

TASKS = "registry/tasks/tasks.yaml"


def digest_of(output: str) -> str:
    [found] = set(re.findall(r"sha256:[0-9a-f]{64}", output))
    return found


def test_plan_of_a_change_offline_and_live(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Offline, from the report, the plan of a change names the Core it gains, the field it
    changes and the operations, with the live plan's digest; a marker pinned to it deploys."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.once()
    fleet.deploy_all("first")
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    base = git(fleet.work, "rev-parse", "HEAD")
    git(fleet.work, "checkout", "-q", "-b", "change")
    fleet.assign("web", ["edge-1", "edge-2"])
    tasks = (fleet.work / TASKS).read_text()
    fleet.edit(TASKS, tasks.replace("status >= 500", "status >= 400"))
    head = commit_all(fleet.work, "web on edge-2, wider errors")
    git(fleet.work, "checkout", "-q", base)
    common = ["plan", str(fleet.work), "--revision", head, "--base", base, "--detailed-exitcode"]

    offline = fleet.reconciler(*common, "--offline", "--format", "markdown", check=False)
    assert offline.returncode == 2, offline.stderr
    said = offline.stdout
    assert said.index("What the change declares") < said.index("Deploy All plan")
    assert "| edge-2 | `web` | — | — |" in said
    assert "**changed** `tasks/web-errors-only`" in said
    assert '`query: "status >= 500 | fields path, status" -> "status >= 400' in said
    assert "| edge-2 | + create | `connectors/web-in` |" in said
    assert "| edge-1 | ~ update | `tasks/web-errors-only` |" in said
    assert "Deployed state: from the report at" in said
    assert "edge-1 (--offline), edge-2 (--offline)" in said

    live = fleet.reconciler(*common, "--format", "json", check=False)
    assert live.returncode == 2, live.stderr
    document = json.loads(live.stdout)
    assert document["deployed_from"] == "a live readback of edge-1, edge-2"
    assert document["digest"] == digest_of(said)
    assert {"core": "edge-2", "gained": ["web"], "lost": [], "note": None} in document["change"][
        "cores"
    ]

    git(fleet.work, "checkout", "-q", "main")
    git(fleet.work, "merge", "-q", "--ff-only", "change")
    fleet.push_only()
    fleet.deploy_all("the reviewed plan", "--expect-plan", digest_of(said))
    fleet.once()
    assert fleet.report()["requests"][0]["state"] == "done"
    assert set(fleet.components("edge-2", "tasks")) == {"web-errors-only"}


def test_a_core_the_change_moves_is_not_contacted(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """With --base, a Core that the change points elsewhere gets no connection (no token sent)
    and is planned from the report, the output saying so; no change exits 2 only for what is
    not deployed yet, and an invalid revision exits 1 naming its problems."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    base = fleet.head()
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen(8)
        trap.setblocking(False)
        moved = core_yaml(fleet.cores["edge-1"]).replace(
            fleet.cores["edge-1"].url, f"https://127.0.0.1:{trap.getsockname()[1]}"
        )
        fleet.edit("cores/edge-1.yaml", moved)
        head = commit_all(fleet.work, "edge-1 moves")
        done = fleet.reconciler(
            "plan", str(fleet.work), "--revision", head, "--base", base, "--format", "json"
        )
        try:
            trap.accept()
            contacted = True
        except BlockingIOError:
            contacted = False
    assert not contacted
    assert json.loads(done.stdout)["deployed_from"].endswith(
        "for edge-1 (not contacted: new or changed here)"
    )

    same = fleet.reconciler(
        "plan",
        str(fleet.work),
        "--revision",
        base,
        "--base",
        base,
        "--offline",
        "--detailed-exitcode",
        check=False,
    )
    assert same.returncode == 2  # nothing deployed yet: the first Deploy All creates web
    assert "nothing that a Deploy All would deploy differently" in same.stdout
    fleet.edit(
        "assignments/web.yaml", "apiVersion: reconciler/v1\nkind: Assignment\npipeline: nope\n"
    )
    bad = commit_all(fleet.work, "broken")
    invalid = fleet.reconciler("plan", str(fleet.work), "--revision", bad, "--offline", check=False)
    assert invalid.returncode == 1
    assert "assignments/web.yaml:" in invalid.stderr
    assert "--revision" in invalid.stderr
