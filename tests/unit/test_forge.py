"""What the Git host is told (reconciler.decide.forge): statuses and the plan comment, by table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.decide.forge import (
    MARKER,
    State,
    one_line,
    part_index,
    plan_body,
    plan_comment,
    run_status,
    touches_declared,
    validate_status,
)
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind

SHA = "a" * 40
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def run(state: RequestState, note: str | None = None, failed: bool = False) -> Run:
    cores = (
        CoreOutcome(core="edge-1", outcome=Outcome.FAILED if failed else Outcome.DONE),
        CoreOutcome(core="edge-2", outcome=Outcome.DONE),
    )
    return Run(
        id="go-live",
        kind=RunKind.DEPLOY,
        state=state,
        commit=SHA,
        author="Ann <ann@example.invalid>",
        requested_at=NOW,
        cores=cores if state in (RequestState.DONE, RequestState.FAILED) else (),
        note=note,
    )


RUN_CASES = [
    ("claimed", run(RequestState.CLAIMED), State.PENDING, "Deploy All go-live: claimed"),
    ("running", run(RequestState.RUNNING), State.PENDING, "Deploy All go-live: running"),
    ("done", run(RequestState.DONE), State.SUCCESS, "Deploy All go-live: done on 2 Core(s)"),
    (
        "failed",
        run(RequestState.FAILED, failed=True),
        State.FAILURE,
        "Deploy All go-live: failed on edge-1",
    ),
    (
        "refused",
        run(RequestState.REFUSED, "the plan is sha256:1 but the marker expects sha256:2"),
        State.FAILURE,
        "refused: the plan is sha256:1 but the marker expects sha256:2",
    ),
    (
        "superseded",
        run(RequestState.SUPERSEDED, "superseded by newer"),
        State.ERROR,
        "superseded: superseded by newer",
    ),
]


@pytest.mark.parametrize(("case", "given", "state", "description"), RUN_CASES)
def test_run_status(case: str, given: Run, state: State, description: str) -> None:
    """Each request state maps to one status state and a one-line summary on the marker commit."""
    status = run_status(given, 140, "https://example.invalid/r")
    assert (status.state, status.description, status.sha) == (state, description, SHA), case
    assert status.context == "reconciler/deploy"
    assert status.target_url == "https://example.invalid/r"


def test_a_long_reason_is_cut_to_the_host_limit() -> None:
    """A refusal reason longer than the host allows is cut, on one line, with an ellipsis."""
    status = run_status(run(RequestState.REFUSED, "why\n" + "x" * 500), 140)
    assert len(status.description) == 140
    assert status.description.endswith("…")
    assert "\n" not in status.description


VALIDATE_CASES = [
    ("valid", (), State.SUCCESS, "the declared state is valid"),
    ("one problem", ("cores/a.yaml:3: bad",), State.FAILURE, "cores/a.yaml:3: bad"),
    ("two", ("a.yaml:1: x", "b.yaml:2: y"), State.FAILURE, "a.yaml:1: x (and 1 more)"),
]


@pytest.mark.parametrize(("case", "problems", "state", "description"), VALIDATE_CASES)
def test_validate_status(
    case: str, problems: tuple[str, ...], state: State, description: str
) -> None:
    """A judged head is success, or failure naming its first problem."""
    status = validate_status(SHA, problems, 140)
    assert (status.state, status.description) == (state, description), case


def test_first_problem_is_cut_but_the_count_kept() -> None:
    """A long first problem is cut so that the count of the others still shows."""
    status = validate_status(SHA, ("p" * 300, "second"), 140)
    assert len(status.description) == 140
    assert status.description.endswith("… (and 1 more)")


ONE_LINE_CASES = [
    ("short", "a b", 10, "a b"),
    ("joined", "a\n\tb", 10, "a b"),
    ("cut", "abcdef", 4, "abc…"),
]


@pytest.mark.parametrize(("case", "text", "limit", "expected"), ONE_LINE_CASES)
def test_one_line(case: str, text: str, limit: int, expected: str) -> None:
    """Text becomes one line within the limit."""
    assert one_line(text, limit) == expected, case


SPLIT_CASES = [
    ("fits", 10, 1000, 1),
    ("exactly two", 20, 200, 2),
    ("many", 400, 300, None),
    ("one huge line", 0, 200, None),
]


@pytest.mark.parametrize(("case", "lines", "limit", "parts"), SPLIT_CASES)
def test_comment_split(case: str, lines: int, limit: int, parts: int | None) -> None:
    """Every part fits the limit, leads with its marker, and the parts rebuild the body."""
    body = "".join(f"line {n:04d}\n" for n in range(lines)) or ("x" * 1000 + "\n")
    split = plan_comment(body, limit)
    if parts is not None:
        assert len(split) == parts, case
    assert all(len(part) <= limit for part in split), case
    assert [part_index(part) for part in split] == list(range(1, len(split) + 1)), case
    assert split[0].startswith(MARKER + "\n")
    rebuilt = "".join(part.split("\n\n", 1)[1] if len(split) > 1 else part for part in split)
    assert rebuilt.removeprefix(MARKER + "\n") == body, case


def test_a_github_sized_plan_is_split_at_65536() -> None:
    """A plan longer than GitHub's comment limit becomes numbered parts within it."""
    body = plan_body("| row |\n" * 12000, SHA, "sha256:" + "0" * 64)
    split = plan_comment(body, 65536)
    assert len(split) == 2
    assert all(len(part) <= 65536 for part in split)
    assert "**Plan, part 2 of 2**" in split[1]
    assert "expect_plan: sha256:" in split[-1]


PART_CASES = [
    ("first", MARKER + "\nbody", 1),
    ("second", "<!-- reconciler:plan part 2 -->\n**Plan**", 2),
    ("someone else", "LGTM", None),
    ("a marker later in the text", "hello\n" + MARKER, None),
    ("part one spelled out is not ours", "<!-- reconciler:plan part 1 -->", None),
    ("not a number", "<!-- reconciler:plan part x -->", None),
]


@pytest.mark.parametrize(("case", "body", "index"), PART_CASES)
def test_part_index(case: str, body: str, index: int | None) -> None:
    """Only a comment that leads with the marker is the reconciler's."""
    assert part_index(body) == index, case


TOUCH_CASES = [
    ("assignment", ["assignments/web.yaml"], True),
    ("settings", ["reconciler.yaml"], True),
    ("report only", ["status/README.md", "status/pipelines.json"], False),
    ("ci folder", [".github/workflows/plan.yml"], False),
    ("docs", ["README.md"], False),
    ("yml", ["cores/edge.yml"], True),
]


@pytest.mark.parametrize(("case", "paths", "expected"), TOUCH_CASES)
def test_touches_declared(case: str, paths: list[str], expected: bool) -> None:
    """A pull request is planned only when it touches the declared state."""
    assert touches_declared(paths, "status") is expected, case


def test_plan_body_pins_the_digest() -> None:
    """The comment ends with the marker line that pins the plan."""
    body = plan_body("### plan\n", SHA, "sha256:" + "1" * 64)
    assert f"expect_plan: sha256:{'1' * 64}" in body
    assert SHA[:12] in body
