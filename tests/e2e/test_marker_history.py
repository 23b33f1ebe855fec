"""Markers through `reconciler once`: file names Git quotes, and histories rewritten by force."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.fixtures import CoreFactory
from tests.support.fleet import Fleet
from tests.support.repos import commit_all, git

DEPLOY = "apiVersion: reconciler/v1\nkind: DeployAll\nid: {id}\nreason: {id}\n"
START = "apiVersion: reconciler/v1\nkind: CoreAction\nid: {id}\naction: start\npipeline: web\n"


def record(fleet: Fleet, folder: str, run_id: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fleet.origin_file(f"status/{folder}/{run_id}.json"))
    return loaded


def requests(fleet: Fleet) -> dict[str, tuple[str, str]]:
    """The recent requests of the report: id to (state, commit)."""
    return {r["id"]: (r["state"], r["commit"]) for r in fleet.report()["requests"]}


def test_markers_with_names_git_quotes_run(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Markers named with accents and spaces are recorded and run: deploy, start, deploy again."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.edit("deploy/déploiement.yaml", DEPLOY.format(id="deploiement"))
    fleet.push("Deploy All, a file name with an accent")
    fleet.once()
    fleet.edit("actions/démarrer.yaml", START.format(id="demarrer"))
    fleet.push("start web, a file name with an accent")
    fleet.once()
    fleet.edit("deploy/once more.yaml", DEPLOY.format(id="once-more"))
    fleet.push("Deploy All, a file name with a space")
    fleet.once()

    assert record(fleet, "deployments", "deploiement")["state"] == "done"
    assert record(fleet, "actions", "demarrer")["state"] == "done"
    assert record(fleet, "deployments", "once-more")["state"] == "done"
    assert fleet.row("web")["status"] == "Running"
    assert set(fleet.components("edge-1", "connectors")) >= {"web-in", "web-out"}


def test_a_force_pushed_marker_runs_and_old_ones_do_not(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """A rebased history with a new marker runs that marker once; the rebased one is history."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.edit("deploy/first.yaml", DEPLOY.format(id="first"))
    first = fleet.push("first Deploy All")
    fleet.once()
    git(fleet.work, "pull", "-q", "--rebase")
    git(fleet.work, "reset", "-q", "--hard", f"{first}~1")
    git(fleet.work, "cherry-pick", first)
    fleet.edit("deploy/second.yaml", DEPLOY.format(id="second"))
    second = commit_all(fleet.work, "second Deploy All, on a rewritten history")
    git(fleet.work, "push", "-q", "--force", "origin", "HEAD:main")
    fleet.once()

    assert requests(fleet) == {"first": ("done", first), "second": ("done", second)}
    assert record(fleet, "deployments", "second")["state"] == "done"
