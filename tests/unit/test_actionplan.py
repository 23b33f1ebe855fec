"""The Core Action rules of SPEC §5 (reconciler.decide.actionplan), as a table of cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from reconciler.decide.actionplan import CoreActionPlan, plan_action
from reconciler.decide.components import ComponentSpec
from reconciler.decide.model import ActionVerb
from reconciler.decide.observed import Observation, Reason, Runtime
from reconciler.decide.outcomes import OutcomeReason
from reconciler.decide.records import Records
from tests.support.world import NOW, deployment, held, records, seen, specs

MAIN, DETECT = specs("main"), specs("detect")
START, STOP, RESTART = ActionVerb.START, ActionVerb.STOP, ActionVerb.RESTART
R, S = Runtime.RUNNING, Runtime.STOPPED


@dataclass(frozen=True)
class Case:
    verb: ActionVerb
    steps: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(verb, component, skip reason) in order."""
    refused: OutcomeReason | None = None
    mentions: str = ""
    """A word the refusal's message must hold."""
    records: Records = field(default_factory=lambda: records(deployment("edge-1", "main")))
    observation: Observation | None = field(default_factory=lambda: seen("edge-1", held(MAIN)))


def without(name: str, specs_: tuple[ComponentSpec, ...]) -> list[ComponentSpec]:
    return [spec for spec in specs_ if spec.name != name]


def both_on_edge_1(detect_state: Runtime) -> Observation:
    """`main` stopped and `detect` in `detect_state` on edge-1, sharing the source `in`."""
    components = {**held(MAIN, pipelines=["main"]), **held(DETECT, detect_state, ["detect"])}
    return seen("edge-1", components)


MAIN_AND_DETECT = records(deployment("edge-1", "main"), deployment("edge-1", "detect"))
DISABLED_OUT = tuple(
    ComponentSpec(s.kind, s.name, {**s.body, "enabled": False}) if s.name == "out" else s
    for s in MAIN
)

CASES: dict[str, Callable[[], Case]] = {
    "start runs sinks, tasks, then the source": lambda: Case(
        START, [("start", "out", None), ("start", "filter", None), ("start", "in", None)]
    ),
    "stop runs the source, tasks, then sinks": lambda: Case(
        STOP, [("stop", "in", None), ("stop", "filter", None), ("stop", "out", None)]
    ),
    "restart is a stop, then a start": lambda: Case(
        RESTART,
        [
            *[("stop", "in", None), ("stop", "filter", None), ("stop", "out", None)],
            *[("start", "out", None), ("start", "filter", None), ("start", "in", None)],
        ],
    ),
    "stop leaves alone what another running pipeline uses": lambda: Case(
        STOP,
        [("stop", "in", "shared"), ("stop", "filter", None), ("stop", "out", None)],
        records=MAIN_AND_DETECT,
        observation=both_on_edge_1(R),
    ),
    "stop takes a shared component when the other pipeline is stopped": lambda: Case(
        STOP,
        [("stop", "in", None), ("stop", "filter", None), ("stop", "out", None)],
        records=MAIN_AND_DETECT,
        observation=both_on_edge_1(S),
    ),
    "start never skips a shared component": lambda: Case(
        START,
        [("start", "out", None), ("start", "filter", None), ("start", "in", None)],
        records=MAIN_AND_DETECT,
        observation=both_on_edge_1(R),
    ),
    "a disabled connector is not started": lambda: Case(
        START,
        [("start", "filter", None), ("start", "in", None)],
        records=records(deployment("edge-1", "main", DISABLED_OUT)),
        observation=seen("edge-1", held(DISABLED_OUT)),
    ),
    "refused where the pipeline is not deployed": lambda: Case(
        START, refused=OutcomeReason.NOT_DEPLOYED, mentions="Deploy All", records=Records()
    ),
    "refused where a runnable component is missing": lambda: Case(
        START,
        refused=OutcomeReason.NOT_DEPLOYED,
        mentions="missing: out",
        observation=seen("edge-1", held(without("out", MAIN))),
    ),
    "a start is refused where a stream is missing": lambda: Case(
        START,
        refused=OutcomeReason.NOT_DEPLOYED,
        mentions="stream/clean missing",
        observation=seen("edge-1", held(without("clean", MAIN))),
    ),
    "a stop goes on where only a stream is missing": lambda: Case(
        STOP,
        [("stop", "in", None), ("stop", "filter", None), ("stop", "out", None)],
        observation=seen("edge-1", held(without("clean", MAIN))),
    ),
    "a start is refused where a component was changed by hand": lambda: Case(
        START,
        refused=OutcomeReason.DRIFTED,
        mentions="task/filter: query",
        observation=seen("edge-1", held(MAIN, edits={"filter": {"query": 'level = "warn"'}})),
    ),
    "a restart is refused where a component was changed by hand": lambda: Case(
        RESTART,
        refused=OutcomeReason.DRIFTED,
        mentions="connector/out: config.path",
        observation=seen("edge-1", held(MAIN, edits={"out": {"config": {"path": "x.jsonl"}}})),
    ),
    "fields the Core adds are no drift": lambda: Case(
        START,
        [("start", "out", None), ("start", "filter", None), ("start", "in", None)],
        observation=seen("edge-1", held(MAIN, edits={"out": {"created_at": "2030-01-01"}})),
    ),
    "refused where the Core could not be read back": lambda: Case(
        STOP,
        refused=OutcomeReason.UNREACHABLE,
        mentions="could not be read back",
        observation=seen("edge-1", held(MAIN), reachable=False),
    ),
    "refused with the readback's own reason": lambda: Case(
        STOP,
        refused=OutcomeReason.TIMEOUT,
        observation=Observation("edge-1", False, NOW, reason=Reason.TIMEOUT, message="slow"),
    ),
    "refused where the Core was never read back": lambda: Case(
        START, refused=OutcomeReason.UNREACHABLE, observation=None
    ),
}


def steps_of(found: CoreActionPlan) -> list[tuple[str, str, str | None]]:
    return [(s.verb.value, s.spec.name, s.skip.value if s.skip else None) for s in found.steps]


@pytest.mark.parametrize("name", list(CASES))
def test_core_action_plan(name: str) -> None:
    """Each case: the steps in order, or the refusal's reason and what its message names."""
    case = CASES[name]()
    found = plan_action(case.verb, "main", "edge-1", case.records, case.observation)
    assert steps_of(found) == case.steps
    assert (found.refused.reason if found.refused else None) == case.refused
    if case.refused is not None:
        assert found.refused is not None
        assert case.mentions in found.refused.message
