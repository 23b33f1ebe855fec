"""Plans and their digests (reconciler.decide.plan)."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.decide.components import ComponentSpec, OpKind
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Observation, ObservedComponent, Reason
from reconciler.decide.plan import CorePlan, Plan, plan
from reconciler.decide.records import Records
from tests.support.world import (
    BASE,
    NOW,
    base_state,
    base_texts,
    deployment,
    held,
    records,
    seen,
    specs,
)

MAIN, DETECT = specs("main"), specs("detect")
TASKS = "registry/tasks/tasks.yaml"
FILTER_QUERY = "query: 'level = \"error\"'"
NOWHERE = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: {}\ncores: []\n"
UNASSIGN_MAIN = {"assignments/main.yaml": NOWHERE.format("main")}
UNASSIGN_DETECT = {"assignments/detect.yaml": NOWHERE.format("detect")}


def ops(core_plan: CorePlan) -> list[tuple[str, str, str]]:
    return [(op.op.value, op.kind.value, op.name) for op in core_plan.operations]


def core_plan(result: Plan, core: str) -> CorePlan:
    [found] = [c for c in result.cores if c.core == core]
    return found


def both_current() -> tuple[Records, dict[str, Observation]]:
    """`main` on edge-1 and `detect` on both Cores, deployed and untouched."""
    recs = records(
        deployment("edge-1", "main"), deployment("edge-1", "detect"), deployment("edge-2", "detect")
    )
    on_1 = {**held(MAIN, pipelines=["main"]), **held(DETECT, pipelines=["detect"])}
    shared = {spec.key for spec in MAIN} & {spec.key for spec in DETECT}
    for key in shared:
        on_1[key] = held([s for s in MAIN if s.key == key], pipelines=["detect", "main"])[key]
    return recs, {
        "edge-1": seen("edge-1", on_1),
        "edge-2": seen("edge-2", held(DETECT, pipelines=["detect"])),
    }


def test_fresh_core_gets_creates_in_order() -> None:
    """An empty Core gets streams, queries, sinks, tasks, then sources, all created."""
    result = plan(BASE, Records(), {"edge-1": seen("edge-1", {})}, "rev-2")
    assert ops(core_plan(result, "edge-1")) == [
        ("create", "streams", "alerts"),
        ("create", "streams", "clean"),
        ("create", "streams", "raw"),
        ("create", "queries", "errors"),
        ("create", "connectors", "alerts-out"),
        ("create", "connectors", "out"),
        ("create", "tasks", "detect"),
        ("create", "tasks", "filter"),
        ("create", "connectors", "in"),
    ]


def test_shared_components_list_every_pipeline() -> None:
    """A component two pipelines use on one Core is created once, for both of them."""
    result = plan(BASE, Records(), {"edge-1": seen("edge-1", {})}, "rev-2")
    [source] = [op for op in core_plan(result, "edge-1").operations if op.name == "in"]
    assert source.pipelines == ("detect", "main")


def test_nothing_to_do_when_current() -> None:
    """A Core holding exactly what is desired, Core-added fields included, needs nothing."""
    recs, observations = both_current()
    result = plan(BASE, recs, observations, "rev-2")
    assert result.changes == 0


def test_declared_change_updates_only_that_component() -> None:
    """Changing one task's PDL updates that task and nothing else."""
    recs, observations = both_current()
    state = base_state(
        {TASKS: base_texts()[TASKS].replace(FILTER_QUERY, "query: 'level = \"warn\"'")}
    )
    result = plan(state, recs, observations, "rev-2")
    assert ops(core_plan(result, "edge-1")) == [("update", "tasks", "filter")]
    assert core_plan(result, "edge-1").operations[0].why == "declared spec changed"


def test_out_of_band_edit_is_repaired() -> None:
    """A spec edited on the Core is put back."""
    recs, observations = both_current()
    edited = dict(observations["edge-1"].components)
    key = (ComponentKind.CONNECTOR, "out")
    edited[key] = _with_body(
        edited[key], {**edited[key].body, "config": {"path": "/tmp/elsewhere"}}
    )
    result = plan(BASE, recs, {**observations, "edge-1": seen("edge-1", edited)}, "rev-2")
    [op] = core_plan(result, "edge-1").operations
    assert (op.op, op.name, op.why) == (
        OpKind.UPDATE,
        "out",
        "spec on the Core differs (changed out of band)",
    )


def _with_body(component: ObservedComponent, body: Mapping[str, object]) -> ObservedComponent:
    return ObservedComponent(
        component.kind, component.name, body, component.state, None, component.metadata
    )


def test_deleted_out_of_band_is_recreated() -> None:
    """A component deleted on the Core is created again."""
    recs, observations = both_current()
    remaining = {k: v for k, v in observations["edge-1"].components.items() if k[1] != "filter"}
    result = plan(BASE, recs, {**observations, "edge-1": seen("edge-1", remaining)}, "rev-2")
    assert ops(core_plan(result, "edge-1")) == [("create", "tasks", "filter")]


def test_existing_unmanaged_component_is_adopted() -> None:
    """A declared name that exists without our metadata is taken over with an update."""
    recs, observations = both_current()
    components = dict(observations["edge-1"].components)
    key = (ComponentKind.STREAM, "clean")
    components[key] = ObservedComponent(key[0], key[1], components[key].body)
    result = plan(BASE, recs, {**observations, "edge-1": seen("edge-1", components)}, "rev-2")
    [op] = core_plan(result, "edge-1").operations
    assert (op.op, op.name, op.why) == (
        OpKind.UPDATE,
        "clean",
        "take ownership of an existing component",
    )


def test_unassigned_pipeline_is_deleted_in_reverse_order_keeping_shared() -> None:
    """Removing `main` deletes its own components source-first and keeps what `detect` shares."""
    recs, observations = both_current()
    result = plan(base_state(UNASSIGN_MAIN), recs, observations, "rev-2")
    assert ops(core_plan(result, "edge-1")) == [
        ("update", "streams", "raw"),
        ("update", "connectors", "in"),
        ("delete", "tasks", "filter"),
        ("delete", "connectors", "out"),
        ("delete", "streams", "clean"),
    ]
    assert {op.why for op in core_plan(result, "edge-1").operations if op.op is OpKind.UPDATE} == {
        "pipelines using it changed"
    }


def test_components_never_deployed_are_never_deleted() -> None:
    """Components on the Core that the records do not list as ours are left alone."""
    _recs, observations = both_current()
    result = plan(
        base_state({**UNASSIGN_MAIN, **UNASSIGN_DETECT}), Records(), observations, "rev-2"
    )
    assert result.changes == 0


def test_unreachable_core_with_work_is_blocked() -> None:
    """A Core that cannot be read back is blocked with the reason, unless it has nothing to do."""
    down = Observation("edge-2", reachable=False, attempted_at=NOW, reason=Reason.TIMEOUT)
    result = plan(BASE, Records(), {"edge-1": seen("edge-1", {}), "edge-2": down}, "rev-2")
    assert core_plan(result, "edge-2").blocked is Reason.TIMEOUT
    idle = plan(base_state({**UNASSIGN_DETECT}), Records(), {"edge-2": down}, "rev-2")
    assert core_plan(idle, "edge-2").blocked is None


def test_digest_ignores_revision_and_core_noise() -> None:
    """The digest depends on the changes only: not on the revision or on idle Cores."""
    observations = {"edge-1": seen("edge-1", {}), "edge-2": seen("edge-2", {})}
    first = plan(BASE, Records(), observations, "rev-2")
    second = plan(BASE, Records(), dict(reversed(observations.items())), "rev-3")
    assert first.digest == second.digest
    assert first.digest.startswith("sha256:")
    assert len(first.digest) == 71


def test_digest_changes_with_the_changes() -> None:
    """Another spec, another Core or a blocked Core each give another digest."""
    observations = {"edge-1": seen("edge-1", {}), "edge-2": seen("edge-2", {})}
    baseline = plan(BASE, Records(), observations, "r").digest
    changed = base_state({TASKS: base_texts()[TASKS].replace(FILTER_QUERY, "query: 'x = 1'")})
    assert plan(changed, Records(), observations, "r").digest != baseline
    down = {**observations, "edge-2": Observation("edge-2", False, NOW, reason=Reason.UNREACHABLE)}
    assert plan(BASE, Records(), down, "r").digest != baseline


def test_removed_declared_key_is_an_update() -> None:
    """Dropping an optional key updates the component (the Core would keep it otherwise)."""
    recs, observations = both_current()
    streams = "registry/streams/streams.yaml"
    state = base_state({streams: base_texts()[streams].replace("backpressure: drop\n", "")})
    result = plan(state, recs, observations, "rev-2")
    [op] = core_plan(result, "edge-1").operations
    assert (op.op, op.name) == (OpKind.UPDATE, "clean")
    assert op.body == {"name": "clean"}


def test_plan_records_desired_pipelines_per_core() -> None:
    """Each Core plan carries the pipelines desired there, to record once it is applied."""
    result = plan(BASE, Records(), {}, "r")
    assert sorted(core_plan(result, "edge-1").desired) == ["detect", "main"]
    assert core_plan(result, "edge-2").desired["detect"] == tuple(
        ComponentSpec(s.kind, s.name, s.body) for s in DETECT
    )
