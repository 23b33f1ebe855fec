"""Which run records `reconciler history` lists, and in what order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.decide.history import entries, text


def deploy(
    run_id: str, at: str, revision: str, cores: dict[str, str], rollback: bool = False
) -> dict[str, Any]:
    return {
        "id": run_id,
        "kind": "deploy",
        "state": "done",
        "request": {"commit": f"m-{run_id}", "author": "Ann <a@x>", "requested_at": at},
        "deployed_revision": revision,
        "rollback": rollback,
        "finished_at": at,
        "cores": [{"core": c, "outcome": o} for c, o in cores.items()],
    }


def action(run_id: str, at: str, pipeline: str, core: str) -> dict[str, Any]:
    return {
        "id": run_id,
        "kind": "action",
        "state": "failed",
        "request": {
            "commit": "c",
            "author": "Bo",
            "requested_at": at,
            "action": "start",
            "pipeline": pipeline,
        },
        "finished_at": None,
        "cores": [{"core": core, "outcome": "failed"}],
    }


RECORDS = {
    "deployments/a.json": deploy("a", "2026-01-01T10:00:00+00:00", "rev-a", {"e1": "done"}),
    "deployments/b.json": deploy(
        "b", "2026-01-02T10:00:00+00:00", "rev-b", {"e1": "done", "e2": "done"}
    ),
    "deployments/r.json": deploy("r", "2026-01-03T10:00:00+00:00", "rev-a", {"e1": "done"}, True),
    "actions/s.json": action("s", "2026-01-04T10:00:00+00:00", "web", "e2"),
    "actions/broken.json": {"id": "broken"},
}
ASSIGNED: dict[str, Mapping[str, Sequence[str]]] = {
    "rev-a": {"web": ["e1"], "db": []},
    "rev-b": {"web": ["e1", "e2"], "db": ["e2"]},
}


def assigned(revision: str) -> Mapping[str, Sequence[str]] | None:
    return ASSIGNED.get(revision)


def ids(pipeline: str | None, cores: Sequence[str] = ()) -> list[str]:
    return [e.id for e in entries(RECORDS, pipeline, cores, assigned)]


def test_everything_newest_first() -> None:
    """Without filters every readable record is listed, newest first; a broken one is not."""
    assert ids(None) == ["s", "r", "b", "a"]


def test_a_pipeline_keeps_the_deploys_that_assigned_it() -> None:
    """A Deploy All concerns a pipeline assigned at the revision it deployed."""
    assert ids("db") == ["b"]
    assert ids("web") == ["s", "r", "b", "a"]


def test_a_core_keeps_what_ran_there() -> None:
    """With --core, only requests that ran on that Core, and pipelines assigned there."""
    assert ids(None, ["e2"]) == ["s", "b"]
    assert ids("web", ["e1"]) == ["r", "b", "a"]


def test_unreadable_revision_is_listed() -> None:
    """A deploy whose revision cannot be read may have concerned the pipeline: listed."""
    records = {
        "deployments/x.json": deploy("x", "2026-01-05T00:00:00+00:00", "gone", {"e1": "done"})
    }
    assert [e.id for e in entries(records, "web", (), assigned)] == ["x"]


def test_text_names_rollbacks_and_outcomes_per_core() -> None:
    """The table says "Rollback to" and, with --core, the outcome there."""
    shown = text(entries(RECORDS, None, ["e2"], assigned), ["e2"])
    assert "Start web" in shown
    assert "e2: failed" in shown
    assert "Rollback to rev-a" in text(entries(RECORDS, None, (), assigned))
