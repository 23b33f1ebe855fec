"""Resolution of assignments and of each pipeline's components (reconciler.decide.resolve)."""

from __future__ import annotations

from dataclasses import replace as dc_replace

import pytest

from reconciler.decide import resolve
from reconciler.decide.components import Role
from reconciler.decide.model import ComponentKind, DeclaredState
from tests.support.declared import example_texts, parse_texts
from tests.support.world import base_state

EXAMPLE = parse_texts(example_texts())


@pytest.mark.parametrize(
    ("pipeline", "cores"),
    [
        ("web-errors", ("edge-eu-1", "edge-us-1")),
        ("auth-detect", ("edge-eu-1",)),
        ("syslog-archive", ("edge-eu-1",)),
        ("central-alerts", ("central-1",)),
        ("fw-drops", ("edge-us-1",)),
        ("metrics-poll", ()),
    ],
)
def test_example_assignments(pipeline: str, cores: tuple[str, ...]) -> None:
    """Named Cores and label selectors resolve to sorted Core names; `cores: []` to none."""
    assert resolve.cores_for(EXAMPLE, pipeline) == cores


def with_assignment(assignment: str) -> dict[str, str]:
    files = example_texts()
    files["assignments/web-errors.yaml"] = (
        "apiVersion: reconciler/v1\nkind: Assignment\n" + assignment
    )
    return files


@pytest.mark.parametrize(
    ("assignment", "cores"),
    [
        (
            "pipeline: web-errors\ncores: [central-1]\nselector: {region: us}\n",
            ("central-1", "edge-us-1"),
        ),
        ("pipeline: web-errors\nselector: {region: eu, tier: edge}\n", ("edge-eu-1",)),
        ("pipeline: web-errors\nselector: {region: mars}\n", ()),
        (
            "pipeline: web-errors\ncores: [edge-eu-1]\nselector: {region: eu}\n",
            ("central-1", "edge-eu-1"),
        ),
    ],
)
def test_selector_and_names_combine(assignment: str, cores: tuple[str, ...]) -> None:
    """Selectors match every label (AND), and named Cores are added to the matches."""
    state = parse_texts(with_assignment(assignment))
    assert resolve.cores_for(state, "web-errors") == cores


def test_pipeline_without_assignment_has_no_cores() -> None:
    """A pipeline nobody assigned resolves to no Core."""
    files = example_texts()
    del files["assignments/metrics-poll.yaml"]
    assert resolve.assignments(parse_texts(files))["metrics-poll"] == ()


def test_components_in_create_order() -> None:
    """A pipeline needs its streams, saved queries, sinks, tasks and source, in that order."""
    specs = resolve.components(EXAMPLE, "auth-detect")
    assert [(spec.role, spec.name) for spec in specs] == [
        (Role.STREAM, "alerts"),
        (Role.STREAM, "auth-events"),
        (Role.STREAM, "raw-syslog"),
        (Role.QUERY, "ssh-brute-force"),
        (Role.QUERY, "sudo-to-root"),
        (Role.SINK, "alerts-archive"),
        (Role.SINK, "alerts-to-central"),
        (Role.TASK, "auth-detections"),
        (Role.TASK, "auth-parse"),
        (Role.SOURCE, "syslog-in"),
    ]


def test_spec_bodies_are_the_core_api_bodies() -> None:
    """Bodies carry the YAML fields without apiVersion/kind, with §2 defaults filled in."""
    specs = {spec.key: spec.body for spec in resolve.components(EXAMPLE, "web-errors")}
    assert specs[(ComponentKind.STREAM, "web-access")] == {
        "name": "web-access",
        "backpressure": "block",
    }
    assert specs[(ComponentKind.CONNECTOR, "web-access-log")] == {
        "name": "web-access-log",
        "type": "source",
        "class": "file",
        "stream": "web-access",
        "enabled": True,
        "config": {"path": "logs/access.log"},
    }
    assert specs[(ComponentKind.TASK, "web-errors-only")]["sink_streams"] == ["web-errors"]
    assert "query_ids" not in specs[(ComponentKind.TASK, "web-errors-only")]


def test_desired_counts_shared_components_in_both_pipelines() -> None:
    """Two pipelines sharing a source on one Core both list it in their desired components."""
    table = resolve.desired(EXAMPLE)
    on_eu = table["edge-eu-1"]
    assert sorted(on_eu) == ["auth-detect", "syslog-archive", "web-errors"]
    for pipeline in ("auth-detect", "syslog-archive"):
        assert (ComponentKind.CONNECTOR, "syslog-in") in {spec.key for spec in on_eu[pipeline]}
    assert table["central-1"].keys() == {"central-alerts"}


def derived_states() -> list[DeclaredState]:
    """The base state and states made from it the way an incremental read makes them: every
    object of an unchanged file is the same object, a changed one is a new object."""
    base = base_state()
    task = base.tasks["filter"]
    main = base.assignments["main"]
    core = base.cores["edge-2"]
    return [
        base,
        dc_replace(base, tasks={**base.tasks, "filter": dc_replace(task, query="level = 1")}),
        dc_replace(base, assignments={**base.assignments, "main": dc_replace(main, cores=())}),
        dc_replace(
            base,
            assignments={**base.assignments, "main": dc_replace(main, cores=("edge-2",))},
        ),
        dc_replace(base, cores={**base.cores, "edge-2": dc_replace(core, labels={})}),
        dc_replace(base, pipelines={k: v for k, v in base.pipelines.items() if k != "detect"}),
    ]


@pytest.mark.parametrize("after", range(6))
@pytest.mark.parametrize("before", range(6))
def test_a_resolution_from_the_last_one_is_a_resolution_from_scratch(
    before: int, after: int
) -> None:
    """Whatever was reused from the last resolution, the answer is the one made from scratch."""
    states = derived_states()
    earlier = resolve.resolution(states[before])
    again = resolve.resolution(states[after], (states[before], earlier))
    assert again == resolve.resolution(states[after])
    if before == after:  # nothing changed: every pipeline's components are the same objects
        assert all(again.components[p] is earlier.components[p] for p in again.components)
