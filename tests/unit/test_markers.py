"""Requests read out of crafted commit lists (reconciler.decide.markers)."""

from __future__ import annotations

import re

import pytest

from reconciler.decide.markers import (
    Change,
    Commit,
    Request,
    RequestKind,
    Verdict,
    deploy_trailer,
    file_id,
    report_only,
    requests,
    rewritten,
    verdicts,
)
from reconciler.decide.model import NAME_PATTERN
from reconciler.errors import DeclarationError
from tests.support.declared import parse_texts
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


@pytest.mark.parametrize(
    "path",
    [
        "deploy/déploiement.yaml",
        "actions/démarrer.yaml",
        "deploy/two words.yaml",
        "deploy/tab\there.yaml",
        'deploy/"quoted".yaml',
        "deploy/trailing\n.yaml",
        "deploy/Release.yaml",
        "deploy/ünïcödé-only-ßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßß.yaml",
        "deploy/日本.yaml",
    ],
)
def test_a_file_name_that_is_no_id_gets_a_valid_derived_id(path: str) -> None:
    """A marker file name outside the name pattern yields a valid id, whatever it holds."""
    derived = file_id(path)
    assert re.fullmatch(NAME_PATTERN, derived), derived


def test_a_derived_id_keeps_the_readable_part_of_the_name() -> None:
    """`déploiement` folds to `deploiement`, then a hash of the path keeps it distinct."""
    assert re.fullmatch(r"deploiement-[0-9a-f]{8}", file_id("deploy/déploiement.yaml"))


def test_names_that_fold_alike_get_distinct_ids() -> None:
    """Two file names that fold to the same text still get different ids."""
    assert file_id("deploy/a b.yaml") != file_id("deploy/a\tb.yaml")


def test_a_valid_file_name_is_the_id() -> None:
    """A file name inside the pattern is the id as it is."""
    assert file_id("deploy/release-1.2.yaml") == "release-1.2"


def test_quoted_paths_are_requests_like_any_other() -> None:
    """Added marker files with spaces or accents in their names are requests."""
    history = [commit("a", ("A", "deploy/dé ploiement.yaml"), ("A", "actions/démarrer.yaml"))]
    assert [r.path for r in requests(history, "status")] == [
        "actions/démarrer.yaml",
        "deploy/dé ploiement.yaml",
    ]


def test_rewritten_history_takes_markers_the_old_tree_did_not_hold() -> None:
    """On a rewritten history a marker at a path the old tree held is history; a new one is not."""
    new = [commit("a", ("A", "deploy/old.yaml")), commit("b", ("A", "deploy/new.yaml"))]
    found = rewritten(new, [], {"deploy/old.yaml"}, ["deploy/new.yaml"], "status")
    assert ([r.path for r in found.taken], found.unattributed) == (["deploy/new.yaml"], ())


def test_rewritten_history_names_markers_no_new_commit_adds() -> None:
    """A marker new at the head that no commit of the new history added is unattributed."""
    new = [commit("a", ("M", "cores/a.yaml"))]
    found = rewritten(new, [], set(), ["deploy/kept.yaml"], "status")
    assert (found.taken, found.unattributed) == ((), ("deploy/kept.yaml",))


def test_a_rebased_trailer_is_history() -> None:
    """A trailer whose commit was rebased (same author, time and reason) is not taken again."""
    old = commit("a", message="s\n\nDeploy-All: go")
    again = commit("b", message="s (reworded)\n\nDeploy-All: go")
    assert rewritten([again], [old], set(), [], "status").taken == ()


def test_a_new_trailer_on_rewritten_history_is_taken() -> None:
    """A trailer that no dropped commit carried is a request on the rewritten history."""
    old = commit("a", message="s\n\nDeploy-All: go")
    other = commit("b", message="s\n\nDeploy-All: another reason")
    [found] = rewritten([other], [old], set(), [], "status").taken
    assert (found.commit, found.reason) == ("b" * 40, "another reason")


@pytest.mark.parametrize(
    ("path", "id_line"),
    [("deploy/go\n.yaml", ""), ("deploy/go.yaml", 'id: "go\\n"\n')],
)
def test_a_trailing_newline_is_no_valid_marker_id(path: str, id_line: str) -> None:
    """Validation refuses an id ending in a newline (`$` alone would let it through)."""
    text = f"apiVersion: reconciler/v1\nkind: DeployAll\nreason: go\n{id_line}"
    with pytest.raises(DeclarationError) as invalid:
        parse_texts({path: text})
    [problem] = invalid.value.problems
    named = ("the file name is not a valid marker id", "DeployAll 'go\\n': id: must be lowercase")
    assert problem.message.startswith(named)
