"""What every page shares (reconciler.decide.pages.common): links, ages, freshness."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.decide.pages.common import component_label, duration, freshness, pipeline_href
from tests.support.world import INTERVAL, NOW


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(-3, "0 s"), (4.7, "4 s"), (119, "119 s"), (600, "10 min"), (7200, "2 h"), (200000, "2 d")],
)
def test_durations_read_roughly(seconds: float, expected: str) -> None:
    """An age reads in the largest unit that keeps it readable."""
    assert duration(seconds) == expected


def test_freshness_says_how_old_and_when_it_is_stale() -> None:
    """Data older than three readback intervals is stale."""
    fresh = freshness(NOW, NOW + timedelta(seconds=30), INTERVAL, "f" * 40)
    stale = freshness(NOW, NOW + timedelta(seconds=46), INTERVAL, "f" * 40)
    assert (fresh.age, fresh.stale, fresh.revision, fresh.generated) == (
        "30 s",
        False,
        "f" * 12,
        "2026-11-28 12:00:00 UTC",
    )
    assert stale.stale


def test_links_quote_what_they_carry() -> None:
    """A name is quoted whole in a link, slashes included."""
    assert pipeline_href("a/b c") == "/pipelines/a%2Fb%20c"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("queries", "query/q"),
        ("connectors", "connector/q"),
        ("streams", "stream/q"),
        ("odd", "odd/q"),
    ],
)
def test_components_are_named_in_the_singular(kind: str, expected: str) -> None:
    """`queries` reads `query/…`, not a cut plural."""
    assert component_label(kind, "q") == expected
