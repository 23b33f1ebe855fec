"""What drifted, field by field (reconciler.decide.diff.drift), secrets masked."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.decide.components import ComponentSpec
from reconciler.decide.diff import MASKED, FieldChange, drift, field_changes
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import ObservedComponent

SPLUNK = {
    "name": "hec",
    "type": "sink",
    "class": "splunk",
    "stream": "alerts",
    "config": {
        "endpoint": "https://hec:8088",
        "token": {"env": "HEC_TOKEN"},
        "indexes": ["a", "b"],
    },
}


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        ({**SPLUNK, "created_at": "2030-01-01"}, []),
        ({**SPLUNK, "stream": "other"}, [FieldChange("stream", "alerts", "other")]),
        (
            {**SPLUNK, "config": {**SPLUNK["config"], "endpoint": "https://evil:8088"}},
            [FieldChange("config.endpoint", "https://hec:8088", "https://evil:8088")],
        ),
        (
            {**SPLUNK, "config": {**SPLUNK["config"], "indexes": ["a", "c"]}},
            [FieldChange("config.indexes[1]", "b", "c")],
        ),
        (
            {**SPLUNK, "config": {**SPLUNK["config"], "indexes": ["a"]}},
            [FieldChange("config.indexes", ["a", "b"], ["a"])],
        ),
        (
            {**SPLUNK, "config": {**SPLUNK["config"], "token": "literal-value"}},
            [FieldChange("config.token", MASKED, MASKED)],
        ),
        (
            {key: value for key, value in SPLUNK.items() if key != "stream"},
            [FieldChange("stream", "alerts", None, absent=True)],
        ),
    ],
    ids=["core-added", "top-level", "nested", "list-item", "list-length", "secret", "removed"],
)
def test_field_changes(held: dict[str, Any], expected: list[FieldChange]) -> None:
    """Only the fields the reconciler wrote count; secret-named values never show."""
    assert field_changes(SPLUNK, held) == expected


def test_drift_names_missing_and_changed_components() -> None:
    """A missing component says so; a changed one lists its fields, in a one-line summary."""
    specs = [
        ComponentSpec(ComponentKind.CONNECTOR, "hec", SPLUNK),
        ComponentSpec(ComponentKind.STREAM, "alerts", {"name": "alerts"}),
    ]
    held = {
        (ComponentKind.CONNECTOR, "hec"): ObservedComponent(
            ComponentKind.CONNECTOR, "hec", {**SPLUNK, "stream": "other"}
        )
    }
    found = drift(specs, held)
    assert [component.summary for component in found] == [
        "connector/hec: stream",
        "stream/alerts missing",
    ]
    assert "literal" not in repr(drift(specs[:1], {specs[0].key: ObservedComponent(
        ComponentKind.CONNECTOR, "hec", {**SPLUNK, "config": {"token": "literal"}})}))  # fmt: skip


def test_every_kind_is_named_in_the_singular() -> None:
    """A query is a `query`, not a `querie`: in summaries, drift lines and cell errors alike."""
    specs = [ComponentSpec(kind, "x", {"name": "x"}) for kind in ComponentKind]
    assert [component.summary for component in drift(specs, {})] == [
        "stream/x missing",
        "query/x missing",
        "connector/x missing",
        "task/x missing",
    ]
