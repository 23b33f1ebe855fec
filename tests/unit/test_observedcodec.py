"""A readback shared between shards comes back as it went (`decide.observedcodec`)."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.decide import observedcodec
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Observation, ObservedComponent, Reason, Runtime

AT = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


def test_a_reachable_core_round_trips() -> None:
    """Components, states, errors and metadata survive the JSON text."""
    task = ObservedComponent(
        ComponentKind.TASK, "t", {"mode": "processing", "query": "a = 1"}, Runtime.FAILED,
        "boom", {"managed-by": "reconciler", "pipelines": ["p"]},
    )  # fmt: skip
    stream = ObservedComponent(ComponentKind.STREAM, "s", {"wal": True})
    seen = Observation(
        "edge-1", True, AT, AT, {task.key: task, stream.key: stream}, "1.2", duration_ms=3.5
    )
    assert observedcodec.loads(observedcodec.dumps(seen)) == seen


def test_an_unreachable_core_round_trips() -> None:
    """A failed readback keeps its reason and message, and no last_seen."""
    seen = Observation("edge-2", False, AT, reason=Reason.TIMEOUT, message="timed out")
    assert observedcodec.loads(observedcodec.dumps(seen)) == seen
