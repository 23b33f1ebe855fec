"""The table view (reconciler.decide.pages.table): filters from the URL, sorting, the summary."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from reconciler.decide.pages.table import Filters, filters_from, table
from tests.support.pageinputs import sample

INPUTS = sample()


def names(filters: Filters) -> list[str]:
    return [line.pipeline for line in table(INPUTS.rows, INPUTS.cores, filters).lines]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([], Filters()),
        (
            [("status", "drift-detected"), ("status", "running")],
            Filters(statuses=("drift-detected", "running")),
        ),
        (
            [("tag", "core-unreachable"), ("core", "edge-2")],
            Filters(tags=("core-unreachable",), cores=("edge-2",)),
        ),
        ([("q", " mai "), ("attention", "1")], Filters(name="mai", attention=True)),
        ([("sort", "deployed"), ("order", "desc")], Filters(sort="deployed", descending=True)),
        ([("sort", "__class__"), ("status", "")], Filters()),
        ([("q", "x" * 500)], Filters(name="x" * 100)),
        ([("core", "edge-1"), ("core", "edge-1")], Filters(cores=("edge-1",))),
    ],
    ids=[
        "none",
        "statuses",
        "tag-and-core",
        "name-attention",
        "sort",
        "nonsense",
        "long",
        "repeat",
    ],
)
def test_filters_from_the_query(query: list[tuple[str, str]], expected: Filters) -> None:
    """A URL's query becomes the view it names; what it cannot mean is left out."""
    assert filters_from(query) == expected


def test_a_view_goes_back_into_the_same_query() -> None:
    """A view's link carries every filter, so a shared link opens the same view."""
    view = Filters(
        ("drift-detected",), ("deployment-drift",), ("edge-1",), "ma", True, "cores", True
    )
    assert filters_from(_pairs(view.query())) == view


def _pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query.lstrip("?"))


def test_rows_that_need_someone_come_first() -> None:
    """By default the drifted row leads, even though its name sorts after the calm one's."""
    assert names(Filters()) == ["main", "detect"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(statuses=("ready-to-start",)), ["detect"]),
        (Filters(tags=("deployment-drift",)), ["main"]),
        (Filters(cores=("edge-2",)), ["detect"]),
        (Filters(name="MAI"), ["main"]),
        (Filters(statuses=("running",)), []),
        (Filters(statuses=("drift-detected", "ready-to-start"), cores=("edge-2",)), ["detect"]),
    ],
    ids=["status", "tag", "core", "name-any-case", "none-match", "keys-combine"],
)
def test_filters_narrow_the_rows(filters: Filters, expected: list[str]) -> None:
    """Values of one key are alternatives; different keys all apply."""
    assert names(filters) == expected


def test_sorting_by_name_both_ways() -> None:
    """Sorting by pipeline name, ascending then descending."""
    assert names(Filters(sort="pipeline")) == ["detect", "main"]
    assert names(Filters(sort="pipeline", descending=True)) == ["main", "detect"]


def test_a_sorted_column_heading_links_to_the_other_order() -> None:
    """The heading of the sorted column says so and links to the reverse, keeping filters."""
    view = table(INPUTS.rows, INPUTS.cores, Filters(cores=("edge-1",), sort="pipeline"))
    [pipeline] = [h for h in view.headings if h.label == "Pipeline"]
    assert (pipeline.sorted, pipeline.href) == (
        "ascending",
        "/?core=edge-1&sort=pipeline&order=desc",
    )


def test_the_summary_counts_every_row_whatever_the_filters() -> None:
    """Summary counts per status ignore filters and link to the table filtered to that status."""
    view = table(INPUTS.rows, INPUTS.cores, Filters(statuses=("drift-detected",)))
    counts = [(c.status, c.count, c.href) for c in view.counts]
    assert counts == [
        ("Drift detected", 1, "/?status=drift-detected"),
        ("Ready to start", 1, "/?status=ready-to-start"),
    ]
    assert (view.total, view.attention, len(view.lines)) == (2, 2, 1)


def test_a_line_carries_what_the_report_row_says() -> None:
    """A line has the row's status, tags, Cores, revision and last deploy."""
    [main] = [
        ln for ln in table(INPUTS.rows, INPUTS.cores, Filters()).lines if ln.pipeline == "main"
    ]
    assert (main.status, main.tags, main.revision, main.last_deploy) == (
        "Drift detected",
        ("deployment-drift",),
        "rev-1",
        "2026-11-28 11:00:00 UTC",
    )
    assert [(c.name, c.assigned, c.href) for c in main.cores] == [("edge-1", True, "/cores/edge-1")]


def test_unknown_filter_values_are_named() -> None:
    """A filter value the report does not know matches nothing, and the view says which."""
    view = table(INPUTS.rows, INPUTS.cores, Filters(statuses=("broken",), cores=("edge-9",)))
    assert (view.lines, view.unknown) == ((), ("status broken", "core edge-9"))


def test_only_tags_some_row_carries_are_offered() -> None:
    """The tag filter offers the tags present, and any tag the view filters by."""
    view = table(INPUTS.rows, INPUTS.cores, Filters(tags=("split-health",)))
    assert [(o.value, o.count, o.selected) for o in view.tags] == [
        ("deployment-drift", 1, False),
        ("split-health", 0, True),
        ("core-unreachable", 1, False),
        ("readback-stale", 1, False),
    ]
