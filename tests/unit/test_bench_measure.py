"""The benchmark harness's arithmetic (bench.measure, bench.scale): ratios, medians, met, table."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.measure import COLUMNS, Row, median, number, percentile, table
from bench.scale import Plan

RATIO = Row("validate", "10 pipelines", 3.0, "s", "≤ 2x parse", peer=2.0, max_ratio=2.0)


def test_the_ratio_is_the_figure_over_its_floor() -> None:
    """3 s against a 2 s floor is 1.5x."""
    assert RATIO.ratio == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("row", "met"),
    [
        (RATIO, True),
        (Row("v", "s", 4.5, "s", "t", peer=2.0, max_ratio=2.0), False),
        (Row("v", "s", 4.0, "s", "t", peer=2.0, max_ratio=2.0), True),
        (Row("plan RSS", "s", 401.0, "MiB", "≤ 400 MiB", max_figure=400), False),
        (Row("plan RSS", "s", 400.0, "MiB", "≤ 400 MiB", max_figure=400), True),
        (Row("rss", "s", 150.0, "MiB", "t", peer=49.0, max_excess=100), False),
        (Row("rss", "s", 149.0, "MiB", "t", peer=49.0, max_excess=100), True),
        (Row("accepted", "s", 1.0, "s", "accepted", holds=False), False),
        (Row("no commit", "s", None, "", "no commit", holds=True), True),
        (Row("not measured", "s", None, "s", "≤ 2 s", max_figure=2), False),
        (Row("no floor", "s", 1.0, "s", "≤ 2x", peer=None, max_ratio=2.0), False),
        (Row("no bound at all", "s", 1.0, "s", "—"), False),
    ],
)
def test_met_or_not(row: Row, met: bool) -> None:
    """Each kind of bound decides met; a row with no figure, floor or bound is never met."""
    assert row.met is met


def test_both_bounds_must_hold() -> None:
    """A figure within its ratio but over its absolute bound is not met."""
    row = Row("both", "s", 3.0, "s", "t", peer=2.0, max_ratio=2.0, max_figure=2.5)
    assert not row.met


@pytest.mark.parametrize(
    ("values", "expected"), [([3.0, 1.0, 2.0], 2.0), ([4.0, 1.0, 3.0, 2.0], 2.5), ([7.0], 7.0)]
)
def test_median(values: list[float], expected: float) -> None:
    """The middle value, or the mean of the two middle ones."""
    assert median(values) == expected


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([3.0, 1.0, 2.0], 0.5, 2.0), ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0), ([5.0, 1.0], 0.95, 5.0)],
)
def test_percentile_is_nearest_rank(values: list[float], share: float, expected: float) -> None:
    """p50 of three is their median; of four, the second; p95 of two, the larger."""
    assert percentile(values, share) == expected


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1.23456, "s", "1.23 s"),
        (12345.6, "MiB", "12,346 MiB"),
        (21.34, "%", "21.3 %"),
        (None, "s", "—"),
    ],
)
def test_numbers_keep_three_significant_digits(value: float | None, unit: str, text: str) -> None:
    """Figures are rounded for reading, thousands grouped."""
    assert number(value, unit) == text


def test_the_table_has_the_columns_a_row_per_target_and_the_count_last() -> None:
    """Markdown header, one line per row with its ratio and verdict, then `targets met: X/Y`."""
    rows = [RATIO, Row("plan RSS", "10 / 5", 500.0, "MiB", "≤ 400 MiB", max_figure=400)]
    lines = table(rows).splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert lines[2] == "| validate | 10 pipelines | 3 s | 2 s | 1.50x | ≤ 2x parse | yes |"
    assert lines[3] == "| plan RSS | 10 / 5 | 500 MiB | — | — | ≤ 400 MiB | no |"
    assert lines[-1] == "targets met: 1/2"


def test_a_note_explains_the_figure_and_pipes_are_escaped() -> None:
    """A refusal is shown in words; a `|` in any cell cannot break the table."""
    row = Row("one|file", "5 files", 1.0, "s", "accepted", holds=False, note="refused: too many")
    assert "| one\\|file | 5 files | 1 s (refused: too many) |" in table([row])


def test_sizes_scale_from_the_full_ones_with_a_floor() -> None:
    """Quick sizes are a share of the issue's; no size falls below one Core or two pipelines."""
    plan = Plan(Path("/nonexistent"), scale=0.02)
    assert (plan.shape(10_000, 500).pipelines, plan.shape(10_000, 500).cores) == (200, 10)
    tiny = Plan(Path("/nonexistent"), scale=0.0001).shape(10_000, 500)
    assert (tiny.pipelines, tiny.cores) == (2, 1)
