"""Requests read out of crafted commit lists (reconciler.decide.markers)."""

from __future__ import annotations

import pytest

from reconciler.decide.markers import (
    Change,
    Commit,
    Request,
    RequestKind,
    Verdict,
    deploy_trailer,
    report_only,
    requests,
    verdicts,
)
from tests.support.world import NOW


def commit(sha: str, *changes: tuple[str, str], message: str = "change") -> Commit:
    return Commit(
        sha * 40, "Ann <ann@example.net>", NOW, message, tuple(Change(s, p) for s, p in changes)
    )


def kinds_and_ids(found: list[Request]) -> list[tuple[str, str]]:
    return [(request.kind.value, request.default_id) for request in found]


def test_added_markers_are_requests_in_commit_order() -> None:
    """Adding files under deploy/ and actions/ makes requests, oldest first."""
    history = [
        commit("a", ("A", "deploy/first.yaml")),
        commit("b", ("M", "assignments/main.yaml")),
        commit("c", ("A", "actions/start-main.yaml"), ("A", "deploy/second.yml")),
    ]
    assert kinds_and_ids(requests(history, "status")) == [
        ("deploy", "first"),
        ("action", "start-main"),
        ("deploy", "second"),
    ]


@pytest.mark.parametrize(
    "change",
    [
        ("M", "deploy/first.yaml"),
        ("D", "deploy/first.yaml"),
        ("A", "deploy/notes.md"),
        ("A", "deployer/x.yaml"),
    ],
)
def test_other_changes_are_not_requests(change: tuple[str, str]) -> None:
    """Editing or deleting a marker, or adding a non-YAML file, requests nothing."""
    assert requests([commit("a", change)], "status") == []


def test_renamed_marker_counts_as_added() -> None:
    """A marker moved into deploy/ is a new request."""
    assert kinds_and_ids(requests([commit("a", ("R", "deploy/moved.yaml"))], "status")) == [
        ("deploy", "moved")
    ]


def test_trailer_requests_a_deploy() -> None:
    """A `Deploy-All:` trailer in the last paragraph is a request with its reason."""
    message = "Roll out the new filters\n\nReviewed-by: Bo\nDeploy-All: weekly rollout\n"
    [found] = requests([commit("d", ("M", "registry/tasks/t.yaml"), message=message)], "status")
    assert (found.kind, found.reason, found.default_id) == (
        RequestKind.DEPLOY,
        "weekly rollout",
        "trailer-dddddddddddd",
    )


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("subject\n\nDeploy-All: go", "go"),
        ("subject\n\ndeploy-all: lower case works", "lower case works"),
        ("subject\n\nSigned-off-by: A\nDeploy-All: last one\n", "last one"),
        ("Deploy-All: a subject line is not a trailer", None),
        ("subject\n\nDeploy-All: in the body\n\nMore text after.", None),
        ("subject\n\nDeploy-All:", None),
        ("subject\n\nsome prose here\nDeploy-All: mixed paragraph", None),
    ],
)
def test_trailer_parsing(message: str, reason: str | None) -> None:
    """Only a trailer block ending the message counts, as Git defines trailers."""
    assert deploy_trailer(message) == reason


def test_report_only_commits_are_ignored() -> None:
    """A commit touching only the report folder yields nothing, whatever its message says."""
    bot = commit(
        "e",
        ("M", "status/README.md"),
        ("A", "status/deployments/x.json"),
        message="s\n\nDeploy-All: x",
    )
    assert report_only(bot, "status")
    assert requests([bot], "status") == []
    assert not report_only(commit("f", ("M", "status/README.md"), ("M", "cores/a.yaml")), "status")


def test_custom_report_dir_is_ignored_too() -> None:
    """The configured report folder is the daemon's own, like the default one."""
    assert report_only(commit("g", ("M", "reports/README.md")), "reports")


def test_newest_deploy_wins_and_actions_all_run() -> None:
    """Among pending Deploy All requests only the newest runs; older ones are superseded."""
    history = [
        commit("a", ("A", "deploy/first.yaml")),
        commit("b", ("A", "actions/stop.yaml")),
        commit("c", ("M", "x/y.yaml"), message="s\n\nDeploy-All: second"),
        commit("d", ("A", "deploy/third.yaml")),
    ]
    decided = [(r.default_id, v) for r, v in verdicts(requests(history, "status"))]
    assert decided == [
        ("first", Verdict.SUPERSEDED),
        ("stop", Verdict.RUN),
        ("trailer-cccccccccccc", Verdict.SUPERSEDED),
        ("third", Verdict.RUN),
    ]


def test_request_carries_commit_and_author() -> None:
    """A request remembers its commit, author and time for the deployment record."""
    [found] = requests([commit("a", ("A", "deploy/first.yaml"))], "status")
    assert (found.commit, found.author, found.at, found.path) == (
        "a" * 40,
        "Ann <ann@example.net>",
        NOW,
        "deploy/first.yaml",
    )
