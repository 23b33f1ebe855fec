"""The Core pages (reconciler.decide.pages.cores): reachability, components, unmanaged ones."""

from __future__ import annotations

from reconciler.decide.pages.cores import core_lines, core_page
from tests.support.pageinputs import sample

INPUTS = sample()


def test_each_core_line_says_whether_it_answers_and_what_it_holds() -> None:
    """A line per Core: reachable or why not, last seen, version, counts."""
    lines = [
        (
            c.name,
            c.reachable,
            c.problem,
            c.last_seen,
            c.version,
            c.components,
            c.unmanaged,
            c.pipelines,
        )
        for c in core_lines(INPUTS)
    ]
    assert lines == [
        ("edge-1", True, "—", "2026-11-28 12:00:00 UTC", "refcore-0.1.0", 9, 1, 2),
        (
            "edge-2",
            False,
            "timeout: the core said no",
            "2026-11-28 11:50:00 UTC",
            "refcore the core said no",
            6,
            0,
            1,
        ),
    ]


def test_a_core_page_lists_its_components_with_state_and_owner() -> None:
    """Every component the Core holds: its state, whether this reconciler wrote it, pipelines."""
    page = core_page(INPUTS, "edge-1")
    assert page is not None
    found = {c.component: (c.state, c.managed, c.pipelines) for c in page.components}
    assert found["task/filter"] == ("running", True, ("main",))
    assert found["stream/clean"] == ("—", True, ("main",))
    assert found["task/detect"] == ("stopped", True, ("detect",))


def test_a_core_page_lists_the_cells_on_it() -> None:
    """The pipelines assigned or deployed on the Core, with their status there."""
    page = core_page(INPUTS, "edge-1")
    assert page is not None
    assert [(c.pipeline, c.status, c.deployment, c.runtime) for c in page.cells] == [
        ("detect", "Ready to start", "current", "stopped"),
        ("main", "Drift detected", "drift", "running"),
    ]


def test_an_unknown_core_has_no_page() -> None:
    """A name the report does not know gives no page (the route answers 404)."""
    assert core_page(INPUTS, "edge-9") is None
