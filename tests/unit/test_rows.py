"""Rows and tags (reconciler.decide.rows): one table case per status, tag and precedence rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from reconciler.decide.components import ComponentSpec
from reconciler.decide.model import ComponentKind, DeclaredState
from reconciler.decide.observed import Observation, ObservedComponent, Runtime
from reconciler.decide.records import Records, Stage
from reconciler.decide.rows import DeploymentState, Inputs, Row, Status, Tag, rows
from tests.support.world import (
    BASE,
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

R, S, F = Runtime.RUNNING, Runtime.STOPPED, Runtime.FAILED
MAIN = specs("main")
UNASSIGNED_MAIN = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\ncores: []\n"
MAIN_ON_BOTH = (
    "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\ncores: [edge-1, edge-2]\n"
)
DETECT_ON_NOTHING = (
    "apiVersion: reconciler/v1\nkind: Assignment\npipeline: detect\nselector: {tier: core}\n"
)
CONNECTORS = "registry/connectors/connectors.yaml"
OUT = "name: out\ntype: sink\n"
DETECT_ON_EDGE_1 = (
    "apiVersion: reconciler/v1\nkind: Assignment\npipeline: detect\ncores: [edge-1]\n"
)
MAIN_ON_EDGE_2 = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: main\ncores: [edge-2]\n"


@dataclass(frozen=True)
class Case:
    """A world and what the row of pipeline `main` must say about it."""

    status: Status
    tags: tuple[Tag, ...] = ()
    state: DeclaredState = BASE
    records: Records = field(default_factory=Records)
    observations: Mapping[str, Observation] = field(default_factory=dict)
    pipeline: str = "main"


def on_edge_1(
    components: Mapping[tuple[ComponentKind, str], ObservedComponent],
    reachable: bool = True,
    last_seen: datetime | None = NOW,
) -> dict[str, Observation]:
    return {"edge-1": seen("edge-1", components, reachable, last_seen)}


def deployed_main(*cores: str) -> Records:
    return records(*(deployment(core, "main") for core in cores))


def edited(name: str, **changes: object) -> dict[str, Observation]:
    return on_edge_1(held(MAIN, edits={name: changes}))


def without(name: str) -> dict[str, Observation]:
    return on_edge_1({k: v for k, v in held(MAIN).items() if k[1] != name})


def changed_spec(name: str, **changes: object) -> tuple[ComponentSpec, ...]:
    """The components of `main` with one spec changed, as an older deploy would have had them."""
    return tuple(
        ComponentSpec(s.kind, s.name, {**s.body, **changes}) if s.name == name else s for s in MAIN
    )


def both(edge_1: Runtime, edge_2: Runtime) -> dict[str, Observation]:
    return {
        "edge-1": seen("edge-1", held(MAIN, edge_1)),
        "edge-2": seen("edge-2", held(MAIN, edge_2)),
    }


def unmanaged(stream: str) -> dict[str, Observation]:
    components = held(MAIN)
    rogue = ObservedComponent(
        ComponentKind.CONNECTOR,
        "rogue-out",
        {"name": "rogue-out", "type": "sink", "stream": stream},
    )
    components[rogue.key] = rogue
    return on_edge_1(components)


CASES: dict[str, Callable[[], Case]] = {
    "unassigned and never deployed": lambda: Case(
        Status.NO_ASSIGNED_CORES, state=base_state({"assignments/main.yaml": UNASSIGNED_MAIN})
    ),
    "no assignment document at all": lambda: Case(
        Status.NO_ASSIGNED_CORES, state=base_state({"assignments/main.yaml": ""})
    ),
    "selector matching no Core": lambda: Case(
        Status.NO_ASSIGNED_CORES,
        pipeline="detect",
        state=base_state({"assignments/detect.yaml": DETECT_ON_NOTHING}),
    ),
    "assigned, never deployed": lambda: Case(Status.PENDING_DEPLOYMENT, observations=on_edge_1({})),
    "deployed and stopped": lambda: Case(
        Status.READY_TO_START, records=deployed_main("edge-1"), observations=on_edge_1(held(MAIN))
    ),
    "deployed and running": lambda: Case(
        Status.RUNNING, records=deployed_main("edge-1"), observations=on_edge_1(held(MAIN, R))
    ),
    "deployed and starting": lambda: Case(
        Status.RUNNING,
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN, Runtime.STARTING)),
    ),
    "deployed and stopping": lambda: Case(
        Status.READY_TO_START,
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN, Runtime.STOPPING)),
    ),
    "fields the Core adds are not drift": lambda: Case(
        Status.READY_TO_START,
        records=deployed_main("edge-1"),
        observations=edited(
            "out", created_at="2030-01-01", config={"path": "out.jsonl", "rotate": 1}
        ),
    ),
    "declared spec changed since the deploy": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        records=records(
            deployment("edge-1", "main", changed_spec("filter", query='level = "warn"'))
        ),
        observations=on_edge_1(held(changed_spec("filter", query='level = "warn"'))),
    ),
    "component edited out of band": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.DEPLOYMENT_DRIFT,),
        records=deployed_main("edge-1"),
        observations=edited("filter", query='level = "debug"'),
    ),
    "nested config edited out of band": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.DEPLOYMENT_DRIFT,),
        records=deployed_main("edge-1"),
        observations=edited("out", config={"path": "elsewhere.jsonl"}),
    ),
    "declared key removed by the Core": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.DEPLOYMENT_DRIFT,),
        records=deployed_main("edge-1"),
        observations=edited("out", config={}),
    ),
    "component deleted out of band": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.DEPLOYMENT_DRIFT,),
        records=deployed_main("edge-1"),
        observations=without("clean"),
    ),
    "drift wins over pending": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.DEPLOYMENT_DRIFT,),
        state=base_state({"assignments/main.yaml": MAIN_ON_BOTH}),
        records=deployed_main("edge-1"),
        observations=edited("filter", query="x = 1"),
    ),
    "running on one Core, failed on the other": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.SPLIT_HEALTH, Tag.START_FAILED, Tag.PARTIALLY_RUNNING),
        state=base_state({"assignments/main.yaml": MAIN_ON_BOTH}),
        records=deployed_main("edge-1", "edge-2"),
        observations=both(R, F),
    ),
    "half started on one Core": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.SPLIT_HEALTH, Tag.PARTIALLY_RUNNING),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN, S, states={"out": R, "filter": R})),
    ),
    "failed everywhere": lambda: Case(
        Status.READY_TO_START,
        (Tag.START_FAILED,),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN, F)),
    ),
    "running on one Core, stopped on the other": lambda: Case(
        Status.RUNNING,
        (Tag.PARTIALLY_RUNNING,),
        state=base_state({"assignments/main.yaml": MAIN_ON_BOTH}),
        records=deployed_main("edge-1", "edge-2"),
        observations=both(R, S),
    ),
    "running on both Cores": lambda: Case(
        Status.RUNNING,
        state=base_state({"assignments/main.yaml": MAIN_ON_BOTH}),
        records=deployed_main("edge-1", "edge-2"),
        observations=both(R, R),
    ),
    "unassigned but still deployed": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        (Tag.REMOVAL_PENDING,),
        state=base_state({"assignments/main.yaml": UNASSIGNED_MAIN}),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN)),
    ),
    "moved to another Core": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        (Tag.REMOVAL_PENDING,),
        state=base_state({"assignments/main.yaml": MAIN_ON_EDGE_2}),
        records=deployed_main("edge-1"),
        observations=both(S, S),
    ),
    "drift on a Core it was removed from is only removal": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        (Tag.REMOVAL_PENDING,),
        state=base_state({"assignments/main.yaml": UNASSIGNED_MAIN}),
        records=deployed_main("edge-1"),
        observations=edited("filter", query="x = 1"),
    ),
    "removed from the registry but still deployed": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        (Tag.REMOVAL_PENDING,),
        state=base_state(
            {
                "registry/pipelines/main.yaml": "",
                "assignments/main.yaml": "",
                "actions/start-main.yaml": "",
            }
        ),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN)),
    ),
    "Core unreachable, last seen running": lambda: Case(
        Status.RUNNING,
        (Tag.CORE_UNREACHABLE,),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN, R), reachable=False),
    ),
    "Core unreachable for more than three intervals": lambda: Case(
        Status.RUNNING,
        (Tag.CORE_UNREACHABLE, Tag.READBACK_STALE),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN, R), reachable=False, last_seen=NOW - 4 * INTERVAL),
    ),
    "reachable but not read back for too long": lambda: Case(
        Status.READY_TO_START,
        (Tag.READBACK_STALE,),
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN), last_seen=NOW - timedelta(minutes=5)),
    ),
    "exactly three intervals is not stale yet": lambda: Case(
        Status.READY_TO_START,
        records=deployed_main("edge-1"),
        observations=on_edge_1(held(MAIN), last_seen=NOW - 3 * INTERVAL),
    ),
    "Core never seen, deployed per the ledger": lambda: Case(
        Status.READY_TO_START,
        (Tag.CORE_UNREACHABLE,),
        records=deployed_main("edge-1"),
        observations=on_edge_1({}, reachable=False, last_seen=None),
    ),
    "Core never seen, never deployed": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        (Tag.CORE_UNREACHABLE,),
        observations=on_edge_1({}, reachable=False, last_seen=None),
    ),
    "deploy failed on the Core": lambda: Case(
        Status.PENDING_DEPLOYMENT,
        (Tag.DEPLOY_FAILED,),
        records=records(errors=[error("edge-1", "main", Stage.DEPLOY)]),
        observations=on_edge_1({}),
    ),
    "start failed on the Core": lambda: Case(
        Status.READY_TO_START,
        (Tag.START_FAILED,),
        records=records(
            deployment("edge-1", "main"), errors=[error("edge-1", "main", Stage.START)]
        ),
        observations=on_edge_1(held(MAIN)),
    ),
    "unmanaged component on one of the pipeline's streams": lambda: Case(
        Status.READY_TO_START,
        (Tag.UNMANAGED_COMPONENTS,),
        records=deployed_main("edge-1"),
        observations=unmanaged("clean"),
    ),
    "unmanaged component elsewhere on the Core": lambda: Case(
        Status.READY_TO_START,
        records=deployed_main("edge-1"),
        observations=unmanaged("somewhere-else"),
    ),
    "disabled connector does not count as stopped": lambda: Case(
        Status.RUNNING,
        state=base_state(
            {CONNECTORS: base_texts()[CONNECTORS].replace(OUT, OUT + "enabled: false\n")}
        ),
        records=records(deployment("edge-1", "main", changed_spec("out", enabled=False))),
        observations=on_edge_1(held(changed_spec("out", enabled=False), R, states={"out": S})),
    ),
    "stopped beside a running pipeline that shares its source": lambda: Case(
        Status.READY_TO_START,
        pipeline="detect",
        state=base_state({"assignments/detect.yaml": DETECT_ON_EDGE_1}),
        records=records(deployment("edge-1", "main"), deployment("edge-1", "detect")),
        observations=on_edge_1({**held(specs("detect"), S, pipelines=["detect"]), **held(MAIN, R)}),
    ),
    "several tags in a stable order": lambda: Case(
        Status.DRIFT_DETECTED,
        (Tag.DEPLOYMENT_DRIFT, Tag.DEPLOY_FAILED, Tag.CORE_UNREACHABLE, Tag.READBACK_STALE),
        records=records(
            deployment("edge-1", "main"), errors=[error("edge-1", "main", Stage.DEPLOY)]
        ),
        observations=on_edge_1(
            {k: v for k, v in held(MAIN).items() if k[1] != "in"},
            reachable=False,
            last_seen=NOW - timedelta(hours=1),
        ),
    ),
}


def row_of(case: Case) -> Row:
    inputs = Inputs(case.state, case.records, case.observations, NOW, INTERVAL)
    [found] = [row for row in rows(inputs) if row.pipeline == case.pipeline]
    return found


@pytest.mark.parametrize("name", CASES)
def test_row(name: str) -> None:
    """The row's status and tags are exactly those of the case."""
    case = CASES[name]()
    found = row_of(case)
    assert (found.status, found.tags) == (case.status, case.tags)


def test_table_is_large_enough() -> None:
    """The table covers every status and every tag."""
    cases = [build() for build in CASES.values()]
    assert len(cases) >= 30
    assert {case.status for case in cases} == set(Status)
    assert {tag for case in cases for tag in case.tags} == set(Tag)


def cells(case: Case) -> list[tuple[str, DeploymentState, Runtime, bool]]:
    return [(c.core, c.deployment, c.runtime, c.assigned) for c in row_of(case).cells]


def test_cells_of_a_moved_pipeline() -> None:
    """Moving a pipeline shows the old Core as pending removal and the new one as missing."""
    assert cells(CASES["moved to another Core"]()) == [
        ("edge-1", DeploymentState.PENDING, S, False),
        ("edge-2", DeploymentState.MISSING, S, True),
    ]


def test_cells_carry_revision_time_and_error() -> None:
    """A cell reports the deployed revision and time, and the last recorded error."""
    case = CASES["start failed on the Core"]()
    [cell] = row_of(case).cells
    assert (cell.deployed_revision, cell.deployed_at) == ("rev-1", NOW - timedelta(hours=1))
    assert cell.last_error == "start rejected: the core said no"


def test_unknown_cells_when_never_read() -> None:
    """Without any readback a deployed cell is unknown, not current."""
    case = Case(Status.READY_TO_START, records=deployed_main("edge-1"))
    assert cells(case) == [("edge-1", DeploymentState.UNKNOWN, Runtime.UNKNOWN, True)]


def test_shared_source_does_not_make_an_undeployed_pipeline_partial() -> None:
    """`detect` shares the source `in` with `main`; `main` running leaves `detect` unaffected."""
    observations = on_edge_1(held(MAIN, R))
    case = Case(
        Status.PENDING_DEPLOYMENT,
        records=deployed_main("edge-1"),
        observations=observations,
        pipeline="detect",
    )
    found = row_of(case)
    assert found.status is Status.PENDING_DEPLOYMENT
    assert {(c.core, c.runtime) for c in found.cells} == {("edge-1", S), ("edge-2", S)}


def test_undeclared_pipeline_row_is_marked() -> None:
    """A pipeline gone from the registry but deployed keeps a row, marked as not declared."""
    assert row_of(CASES["removed from the registry but still deployed"]()).declared is False


def test_last_error_of_a_failed_component() -> None:
    """A failed component's own error is the cell's last error when nothing else is recorded."""
    components = held(MAIN, R, states={"in": F})
    key = (ComponentKind.CONNECTOR, "in")
    component = components[key]
    components[key] = ObservedComponent(
        component.kind, component.name, component.body, F, "port in use", component.metadata
    )
    case = Case(
        Status.READY_TO_START, records=deployed_main("edge-1"), observations=on_edge_1(components)
    )
    [cell] = row_of(case).cells
    assert cell.last_error == "connector in failed: port in use"
