"""Deployments rebuilt from what Cores say about their own components (`records_from_metadata`)."""

from __future__ import annotations

from reconciler.decide.observed import Runtime
from reconciler.decide.records import adopted, records_from_metadata
from tests.support.world import deployment, held, records, seen, specs


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
