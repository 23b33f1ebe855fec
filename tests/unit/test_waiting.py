"""What `reconciler wait` reads from run records, and the exit code it gives."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.decide.outcomes import RunKind
from reconciler.decide.waiting import TIMED_OUT, Target, seen

COMMIT = "a" * 40
OTHER = "b" * 40


def record(state: str, commit: str = COMMIT, note: str | None = None) -> dict[str, Any]:
    return {"state": state, "note": note, "request": {"commit": commit}}


@pytest.mark.parametrize(
    ("records", "state", "code"),
    [
        ({}, None, TIMED_OUT),
        ({"deployments/go.json": record("claimed")}, "claimed", TIMED_OUT),
        ({"deployments/go.json": record("running")}, "running", TIMED_OUT),
        ({"deployments/go.json": record("done")}, "done", 0),
        ({"deployments/go.json": record("failed")}, "failed", 1),
        ({"deployments/go.json": record("refused")}, "refused", 1),
        ({"deployments/go.json": record("superseded")}, "superseded", 1),
        ({"deployments/go.json": record("done", OTHER)}, None, TIMED_OUT),
        ({"deployments/go-aaaaaaa.json": record("refused")}, "refused", 1),
        ({"actions/go.json": record("done")}, None, TIMED_OUT),
        ({"deployments/go.json": record("exploded")}, None, TIMED_OUT),
        ({"deployments/go.json": {"state": "done"}}, None, TIMED_OUT),
    ],
)
def test_seen(records: dict[str, Any], state: str | None, code: int) -> None:
    """A record counts when it is the request's (its commit, or the renamed id), in its folder."""
    found = seen(Target(RunKind.DEPLOY, "go", COMMIT), records)
    assert (found.state, found.code) == (state, code)


def test_an_id_without_commit_matches_any_record_of_that_id() -> None:
    """A request named only by id (not in HEAD's history) takes the record of that id."""
    found = seen(Target(None, "cli-1"), {"actions/cli-1.json": record("done", OTHER)})
    assert found.final
    assert found.record == "actions/cli-1.json"
