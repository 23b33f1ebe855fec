"""Deployments rebuilt from what Cores say about their own components (`records_from_metadata`)."""

from __future__ import annotations

from dataclasses import replace

from reconciler.decide.components import OpKind
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Runtime
from reconciler.decide.plan import plan_core
from reconciler.decide.records import Records, Stage, adopted, by_core, records_from_metadata
from tests.support.world import deployment, error, held, records, seen, specs


def test_each_pipeline_a_core_names_gets_its_own_components() -> None:
    """Shared components serve both pipelines; each pipeline's deployment holds just its own."""
    main, detect = specs("main"), specs("detect")
    both = {**held(main, pipelines=("main",)), **held(detect, pipelines=("detect",))}
    shared = [key for key in held(main) if key in held(detect)]
    for key in shared:  # the shared source: written for both pipelines, its name twice in one
        component = both[key]
        metadata = {**component.metadata, "pipelines": ["main", "detect", "main"]}
        both[key] = type(component)(
            component.kind, component.name, component.body, component.state, None, metadata
        )
    found = records_from_metadata({"edge-1": seen("edge-1", both)})
    assert sorted(found.deployments) == [("edge-1", "detect"), ("edge-1", "main")]
    assert {s.key for s in found.deployments[("edge-1", "main")].components} == {
        s.key for s in main
    }
    assert {s.key for s in found.deployments[("edge-1", "detect")].components} == {
        s.key for s in detect
    }


def test_cells_the_ledger_has_are_not_rebuilt_and_the_ledger_wins() -> None:
    main = specs("main")
    observations = {"edge-1": seen("edge-1", held(main, Runtime.RUNNING))}
    mine = records(deployment("edge-1", "main", revision="from-the-ledger"))
    assert records_from_metadata(observations, mine.deployments).deployments == {}
    merged = adopted(mine, observations)
    assert merged.deployments[("edge-1", "main")].revision == "from-the-ledger"
    assert adopted(records(), observations).deployments[("edge-1", "main")].revision == "rev-1"


def test_each_core_gets_exactly_its_own_records() -> None:
    """Split by Core, the records lose nothing and mix nothing; a Core's plan from its own
    records is the plan from the whole ledger's."""
    whole = records(
        deployment("edge-1", "main"),
        deployment("edge-2", "main"),
        deployment("edge-2", "detect", specs("detect")),
        errors=[error("edge-2", "detect", Stage.START)],
    )
    left = (ComponentKind.TASK, "left-behind")
    whole = replace(whole, intents={"edge-3": frozenset({left})})
    own = by_core(whole)
    assert set(own) == {"edge-1", "edge-2", "edge-3"}
    assert own["edge-3"] == Records(intents={"edge-3": frozenset({left})})
    assert set(own["edge-2"].deployments) == {("edge-2", "main"), ("edge-2", "detect")}
    assert own["edge-2"].errors == whole.errors
    assert own["edge-1"].errors == {}
    merged = {cell: d for mine in own.values() for cell, d in mine.deployments.items()}
    assert merged == whole.deployments
    assert {core: mine.owned[core] for core, mine in own.items() if mine.owned} == whole.owned
    observation = seen("edge-2", held((*specs("main"), *specs("detect"))))
    desired = {"main": specs("main")}
    for core in ("edge-1", "edge-2"):
        from_whole = plan_core(core, desired, adopted(whole, {core: observation}), observation)
        from_own = plan_core(core, desired, adopted(own[core], {core: observation}), observation)
        assert from_own == from_whole
    assert any(op.op is OpKind.DELETE for op in from_own.operations)
