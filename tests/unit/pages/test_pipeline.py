"""The pipeline page (reconciler.decide.pages.pipeline): cells, drift, Core Action hints."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from reconciler.decide.model import ActionVerb
from reconciler.decide.pages.pipeline import marker_id, pipeline_page
from tests.support.declared import parse_texts
from tests.support.pageinputs import sample
from tests.support.world import NOW, base_texts

INPUTS = sample()
[DETECT, MAIN] = INPUTS.rows


def test_cells_carry_deployment_runtime_revision_time_and_error() -> None:
    """Each cell of the page says how the pipeline stands on one Core."""
    page = pipeline_page(DETECT, NOW)
    edge_2 = page.cells[1]
    assert (edge_2.core, edge_2.href, edge_2.deployment, edge_2.runtime) == (
        "edge-2",
        "/cores/edge-2",
        "current",
        "stopped",
    )
    assert (edge_2.revision, edge_2.deployed_at) == ("rev-1", "2026-11-28 11:00:00 UTC")
    assert edge_2.last_error == "readback timeout: the core said no"


def test_drift_lists_each_field_deployed_against_observed() -> None:
    """A component changed by hand shows every field that differs, both values as JSON."""
    [cell] = pipeline_page(MAIN, NOW).drift
    [component] = cell.components
    assert (cell.core, component.component, component.missing) == ("edge-1", "task/filter", False)
    assert [(f.path, f.deployed, f.observed) for f in component.fields] == [
        ("query", '"level = \\"error\\""', '"level = \\"the core said no\\""')
    ]


def test_a_missing_component_is_said_to_be_missing() -> None:
    """A component the Core lost is listed as missing, with no fields."""
    drifted = MAIN.cells[0].drift[0]
    row = replace(
        MAIN, cells=(replace(MAIN.cells[0], drift=(replace(drifted, missing=True, fields=()),)),)
    )
    [component] = pipeline_page(row, NOW).drift[0].components
    assert (component.missing, component.fields) == (True, ())


def test_each_verb_has_a_command_and_a_marker() -> None:
    """Start, Stop and Restart each show the exact command and a marker under actions/."""
    hints = pipeline_page(MAIN, NOW).actions
    assert [(h.label, h.command, h.marker_path) for h in hints] == [
        ("Start", "reconciler action start main", "actions/start-main-20261128-1200.yaml"),
        ("Stop", "reconciler action stop main", "actions/stop-main-20261128-1200.yaml"),
        ("Restart", "reconciler action restart main", "actions/restart-main-20261128-1200.yaml"),
    ]


@pytest.mark.parametrize("verb", list(ActionVerb))
def test_the_suggested_marker_is_valid_declared_state(verb: ActionVerb) -> None:
    """The marker YAML the page suggests validates, and asks exactly for that action."""
    [hint] = [h for h in pipeline_page(MAIN, NOW).actions if h.verb == verb.value]
    state = parse_texts({**base_texts(), hint.marker_path: hint.marker})
    marker = hint.marker_path.removeprefix("actions/").removesuffix(".yaml")
    action = state.actions[marker]
    assert (action.action, action.pipeline, action.cores) == (verb, "main", ())


def test_a_marker_id_of_a_long_name_stays_a_valid_name() -> None:
    """A 63-character pipeline name still makes an id of at most 63 characters."""
    found = marker_id(ActionVerb.RESTART, "p" * 63, datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert len(found) == 63
    assert found.endswith("-20260102-0304")


def test_a_pipeline_no_longer_declared_gets_no_hints() -> None:
    """A removed pipeline has nothing to start: no command, no marker."""
    assert pipeline_page(replace(MAIN, declared=False), NOW).actions == ()
