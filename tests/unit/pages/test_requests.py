"""The request pages (reconciler.decide.pages.requests): history and per-Core steps."""

from __future__ import annotations

from reconciler.decide.pages.requests import request_lines, request_page
from tests.support.pageinputs import sample

RUNS = sample().runs


def test_history_lists_every_run_newest_first_by_author_name() -> None:
    """One line per run, in the report's order, the author without an address."""
    lines = [(r.id, r.href, r.kind, r.state, r.commit, r.author) for r in request_lines(RUNS)]
    assert lines == [
        (
            "Start Now.yaml",
            "/requests/run-4920917068d4504e",
            "Start main",
            "done",
            "b0a710adb0a7",
            "Bo Operator",
        ),
        (
            "first-rollout",
            "/requests/first-rollout",
            "Deploy All",
            "failed",
            "c0ffeec0ffee",
            "Ann the core said no",
        ),
    ]


def test_a_request_page_shows_per_core_steps() -> None:
    """The steps of each Core, failed ones marked, with the Core's own outcome."""
    page = request_page(RUNS, "first-rollout")
    assert page is not None
    [edge_1, edge_2] = page.cores
    assert (edge_1.outcome, edge_1.failed, edge_1.detail) == ("failed", True, "the core said no")
    assert [(s.step, s.component, s.outcome, s.failed) for s in edge_1.steps] == [
        ("create", "stream/raw", "done", False),
        ("create", "connector/in", "failed", True),
    ]
    assert (edge_2.outcome, edge_2.steps) == ("done", ())
    assert (page.plan_digest, page.took) == ("sha256:" + "ab" * 32, "60.0 s")


def test_a_run_is_found_by_its_record_name_only() -> None:
    """An id that is no valid name is found under `run-<hash>`, never under the id itself."""
    assert request_page(RUNS, "run-4920917068d4504e") is not None
    assert request_page(RUNS, "Start Now.yaml") is None
