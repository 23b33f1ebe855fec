"""From requests to runs ready to record (reconciler.decide.requests)."""

from __future__ import annotations

import re

from reconciler.decide.markers import Request, RequestKind, Verdict
from reconciler.decide.model import NAME_PATTERN
from reconciler.decide.outcomes import RequestState
from reconciler.decide.requests import renamed, to_run, unattributed
from reconciler.errors import DeclarationError, Problem
from tests.support.world import NOW

PATH = "deploy/déploiement.yaml"
BAD_NAME = Problem(PATH, 1, "the file name is not a valid marker id")


def request(path: str | None = PATH, commit: str = "a" * 40) -> Request:
    return Request(RequestKind.DEPLOY, commit, "Ann <ann@example.net>", NOW, path)


def test_invalid_state_names_the_markers_own_problems() -> None:
    """A refusal for invalid declared state quotes the problems of the marker's own file."""
    error = DeclarationError([Problem("cores/x.yaml", 3, "elsewhere"), BAD_NAME])
    run = to_run(request(), Verdict.RUN, error, None)
    assert run.state is RequestState.REFUSED
    assert str(BAD_NAME) in (run.note or "")
    assert "elsewhere" not in (run.note or "")


def test_a_refused_marker_with_an_invalid_file_name_has_a_valid_id() -> None:
    """The run recorded for a file name that is no id carries a derived, valid id."""
    run = to_run(request(), Verdict.RUN, DeclarationError([BAD_NAME]), None)
    assert re.fullmatch(NAME_PATTERN, run.id)
    assert run.id.startswith("deploiement-")


def test_a_renamed_id_stays_a_valid_name() -> None:
    """Adding the commit to an id of the greatest length still gives a valid id."""
    longest = f"deploy/{'x' * 63}.yaml"
    run = to_run(request(longest), Verdict.RUN, DeclarationError([]), None)
    taken = to_run(request(longest, "b" * 40), Verdict.RUN, DeclarationError([]), None)
    again = renamed(run, taken)
    assert re.fullmatch(NAME_PATTERN, again.id), again.id
    assert again.id != run.id


def test_an_unattributed_marker_is_refused_as_history_rewritten() -> None:
    """A marker of a rewritten history no commit accounts for is refused, naming it."""
    run = to_run(request(), Verdict.RUN, DeclarationError([]), None)
    refused = unattributed(run, PATH, "c" * 40)
    assert refused.state is RequestState.REFUSED
    assert (refused.note or "").startswith("history rewritten: ")
    assert PATH in (refused.note or "")
