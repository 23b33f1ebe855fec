"""Reading the records again: unchanged rows are not decoded again (`shell.ledger.rows.Decoded`)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from reconciler.decide import runcodec
from reconciler.decide.outcomes import RequestState, Run, RunKind
from reconciler.decide.records import Deployment
from reconciler.shell.ledger.rows import Decoded, records_of, spec_json
from tests.support.world import NOW, deployment


def stored(d: Deployment) -> tuple[Any, ...]:
    components = json.dumps([spec_json(s) for s in d.components], sort_keys=True)
    return (d.core, d.pipeline, d.revision, d.deployed_at.isoformat(), d.request_id, components)


OWNED = [("edge-1", "streams", "main-raw"), ("edge-2", "tasks", "main-filter")]


def test_a_read_through_decoded_gives_what_a_fresh_read_gives() -> None:
    rows = [stored(deployment(core, "main")) for core in ("edge-1", "edge-2")]
    rows.append(stored(deployment("edge-1", "detect")))
    decoded = Decoded()
    assert decoded.records(OWNED, rows, [], OWNED) == records_of(OWNED, rows, [], OWNED)


def test_the_same_pipeline_on_many_cores_is_decoded_once() -> None:
    rows = [stored(deployment(core, "main")) for core in ("edge-1", "edge-2", "edge-3")]
    found = Decoded().records([], rows, [], []).deployments
    first = found[("edge-1", "main")].components
    assert all(found[(core, "main")].components is first for core in ("edge-2", "edge-3"))


def test_only_the_rows_that_changed_are_decoded_again() -> None:
    decoded = Decoded()
    rows = [stored(deployment(core, "main")) for core in ("edge-1", "edge-2")]
    before = decoded.records([], rows, [], []).deployments
    rows[1] = stored(deployment("edge-2", "main", revision="rev-2"))
    after = decoded.records([], rows, [], []).deployments
    assert after[("edge-1", "main")] is before[("edge-1", "main")]
    assert after[("edge-2", "main")] is not before[("edge-2", "main")]
    assert after[("edge-2", "main")].revision == "rev-2"
    rows.pop()
    assert set(decoded.records([], rows, [], []).deployments) == {("edge-1", "main")}


def test_a_run_is_decoded_again_only_when_its_record_changed() -> None:
    ran = Run("r1", RunKind.DEPLOY, RequestState.RUNNING, "c" * 40, "Ann <a@x>", NOW, "why")
    done = replace(ran, state=RequestState.DONE, finished_at=NOW)
    decoded = Decoded()
    (first,) = decoded.runs([runcodec.dumps(ran)])
    (again,) = decoded.runs([runcodec.dumps(ran)])
    (later,) = decoded.runs([runcodec.dumps(done)])
    assert first == ran
    assert again is first
    assert later == done
