"""A report nobody can forge: `reconciler once` regenerates the report folder (SPEC §10).

Anyone who can push can edit `status/`; the next pass writes it back as the report says, with
real reference Cores and the installed command line.
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.decide.reportjson import content_digest
from tests.support.fixtures import CoreFactory
from tests.support.fleet import Fleet
from tests.support.repos import git


def test_a_hand_edit_keeping_the_digest_is_repaired(
    tmp_path: Path, core_factory: CoreFactory
) -> None:
    """`pipelines.json` edited by hand, its `content_digest` left as it was, is written again."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    honest = fleet.report()
    git(fleet.work, "pull", "-q")
    forged = json.loads(fleet.origin_file("status/pipelines.json"))
    forged["pipelines"][0]["status"] = "Running"
    forged["cores"][0]["version"] = "forged-9.9"
    (fleet.work / "status" / "pipelines.json").write_text(json.dumps(forged, indent=2) + "\n")
    fleet.push("a friendlier status")
    assert fleet.report()["cores"][0]["version"] == "forged-9.9"

    fleet.once()
    repaired = fleet.report()
    assert repaired["pipelines"] == honest["pipelines"]
    assert repaired["cores"][0]["version"] == honest["cores"][0]["version"]
    assert repaired["content_digest"] == content_digest(repaired)


def test_a_forged_run_record_is_removed(tmp_path: Path, core_factory: CoreFactory) -> None:
    """`status/deployments/forged.json`, which no run wrote, is gone after the next pass."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    fleet.once()
    fleet.edit("status/deployments/forged.json", '{"id": "forged", "state": "done"}\n')
    fleet.edit("status/deployments/forged.md", "# Deploy All `forged`: done\n")
    fleet.push("a deploy that never happened")

    fleet.once()
    listed = git(fleet.origin, "ls-tree", "-r", "--name-only", "main", "--", "status/deployments")
    assert listed == ""
    assert "forged" not in fleet.origin_file("status/README.md")
