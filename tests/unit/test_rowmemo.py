"""Rows made again only where their inputs changed are the rows made from scratch (hypothesis).

A sequence of worlds is drawn: declared states (assignments moved, a task's spec changed, a
pipeline unassigned), ledger records (deployments old and new, recorded errors), readbacks
(running, stopped, unreachable, stale, a component edited on the Core) and clock ticks. Some
values are drawn as the same object twice and some as equal but distinct objects, as the shell
gives them. At every step `rows_since`, fed what it returned the step before, must say exactly
what `rows` says.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.decide import resolve
from reconciler.decide.observed import Observation, Runtime
from reconciler.decide.records import Records, Stage
from reconciler.decide.rowmemo import Earlier, rows_since
from reconciler.decide.rows import Inputs, rows
from tests.support.world import (
    INTERVAL,
    NOW,
    base_state,
    base_texts,
    deployment,
    error,
    held,
    records,
    seen,
    specs,
)

MAIN_ON_BOTH = (
    "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\ncores: [edge-1, edge-2]\n"
)
MAIN_ON_NOTHING = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\ncores: []\n"
TASKS = "registry/tasks/tasks.yaml"


def states() -> list[object]:
    tasks = base_texts()[TASKS]
    changed = tasks.replace('level = "error"', 'level = "warn"', 1)
    assert changed != tasks, "the base tasks file holds the query this test edits"
    return [
        base_state(),
        base_state(),  # equal, distinct objects
        base_state({"assignments/main.yaml": MAIN_ON_BOTH}),
        base_state({"assignments/main.yaml": MAIN_ON_NOTHING}),
        base_state({TASKS: changed}),
    ]


def ledgers() -> list[Records]:
    main, detect = specs("main"), specs("detect")
    old_main = tuple(s for s in main if s.name != main[-1].name)
    return [
        Records(),
        records(deployment("edge-1", "main")),
        records(deployment("edge-1", "main")),  # equal, distinct objects
        records(deployment("edge-1", "main"), deployment("edge-2", "detect", detect)),
        records(deployment("edge-1", "main", old_main)),
        records(deployment("edge-1", "main"), errors=[error("edge-1", "main", Stage.START)]),
        records(deployment("edge-2", "main"), deployment("edge-1", "detect", detect)),
        # detect beside main on edge-1: their shared source no longer says whether main runs
        records(deployment("edge-1", "main"), deployment("edge-1", "detect", detect)),
    ]


def readbacks() -> list[dict[str, Observation]]:
    main, detect = specs("main"), specs("detect")
    running = held(main, Runtime.RUNNING)
    return [
        {},
        {"edge-1": seen("edge-1", held(main))},
        {"edge-1": seen("edge-1", running)},
        {"edge-1": seen("edge-1", running), "edge-2": seen("edge-2", held(detect))},
        {"edge-1": seen("edge-1", running, reachable=False)},
        {"edge-1": seen("edge-1", running, last_seen=NOW - timedelta(minutes=5))},
        {"edge-1": seen("edge-1", held(main, edits={main[0].name: {"extra": 1}}))},
        {"edge-2": seen("edge-2", held(main, Runtime.FAILED))},
        {"edge-1": seen("edge-1", held((*main, *detect), states={"in": Runtime.RUNNING}))},
    ]


STATES, LEDGERS, READBACKS = states(), ledgers(), readbacks()
TICKS = [timedelta(0), timedelta(seconds=20), timedelta(minutes=2), timedelta(hours=1)]
worlds = st.tuples(
    st.sampled_from(STATES),
    st.sampled_from(LEDGERS),
    st.sampled_from(READBACKS),
    st.sampled_from(TICKS),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(worlds, min_size=1, max_size=8))
def test_rows_made_again_where_inputs_changed_are_the_rows_made_from_scratch(
    steps: list[tuple[object, Records, dict[str, Observation], timedelta, bool]],
) -> None:
    earlier: Earlier | None = None
    kept: tuple[object, resolve.Resolution] | None = None
    for state, ledger, readback, tick, resolved_before in steps:
        resolution = resolve.resolution(state, kept)  # type: ignore[arg-type]
        kept = (state, resolution)
        inputs = Inputs(
            state,  # type: ignore[arg-type]
            ledger,
            readback,
            NOW + tick,
            INTERVAL,
            resolution if resolved_before else None,
        )
        made, earlier = rows_since(inputs, earlier)
        assert made == rows(inputs)


def test_an_unchanged_world_reuses_every_row() -> None:
    """The same inputs again make no row again: each row is the same object."""
    inputs = Inputs(STATES[0], LEDGERS[3], READBACKS[3], NOW, INTERVAL)  # type: ignore[arg-type]
    first, earlier = rows_since(inputs, None)
    again, _ = rows_since(inputs, earlier)
    assert first
    assert all(a is b for a, b in zip(first, again, strict=True))
