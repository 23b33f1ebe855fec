"""The declaration-level change of `plan --base`, and what a Core holds as recorded."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.decide.change import FieldEdit, change, change_text, field_edits
from reconciler.decide.inventory import held_as_recorded
from reconciler.decide.plan import plan_core
from reconciler.decide.resolve import desired
from tests.support.world import BASE, NOW, base_state, base_texts, deployment, records

ASSIGN = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\n"


@pytest.mark.parametrize(
    ("before", "after", "edits"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {"a": 2}, [FieldEdit("a", 1, 2)]),
        ({"a": 1}, {"a": 1.0}, []),
        ({"a": 1}, {}, [FieldEdit("a", 1, None, removed=True)]),
        ({}, {"b": [1]}, [FieldEdit("b", None, [1], added=True)]),
        ({"c": {"token": "x"}}, {"c": {"token": "y"}}, [FieldEdit("c.token", "***", "***")]),
        ({}, {"c": {"password": "p"}}, [FieldEdit("c", None, {"password": "***"}, added=True)]),
        ({}, {"token": "t"}, [FieldEdit("token", None, "***", added=True)]),
        ({"l": [1, 2]}, {"l": [1, 3]}, [FieldEdit("l", [1, 2], [1, 3])]),
    ],
)
def test_field_edits(before: Any, after: Any, edits: list[FieldEdit]) -> None:
    """Fields differ both ways, added and removed keys included, secrets masked."""
    assert field_edits(before, after) == edits


def test_no_change_is_empty() -> None:
    """The same state twice declares nothing new."""
    assert change(BASE, BASE).empty


def test_assignment_gained_and_lost_per_core() -> None:
    """Moving `main` from edge-1 to edge-2: edge-2 gains it, edge-1 loses it."""
    moved = base_state({"assignments/main.yaml": ASSIGN + "cores: [edge-2]\n"})
    found = change(BASE, moved)
    assert [(e.core, e.gained, e.lost) for e in found.cores] == [
        ("edge-1", (), ("main",)),
        ("edge-2", ("main",), ()),
    ]
    assert found.components == ()
    assert "  core edge-1: loses main" in change_text(found, "a", "b")


def test_a_query_change_is_a_changed_component_with_its_field() -> None:
    """A saved query's new PDL is a changed component naming the `pdl` field."""
    path = "registry/queries/errors.yaml"
    new = base_state({path: base_texts()[path].replace('"error"', '"warn"')})
    [edit] = change(BASE, new).components
    assert (edit.label, edit.change, [f.path for f in edit.fields]) == (
        "queries/errors",
        "changed",
        ["pdl"],
    )


def test_held_as_recorded_plans_nothing_when_nothing_changed() -> None:
    """A Core taken to hold what was deployed needs no operation for that deployment."""
    known = records(deployment("edge-1", "main"))
    seen = held_as_recorded(known, "edge-1", NOW)
    found = plan_core("edge-1", {"main": desired(BASE)["edge-1"]["main"]}, known, seen)
    assert found.operations == ()
