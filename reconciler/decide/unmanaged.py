"""Components on a Core that nobody declared and this reconciler never wrote (SPEC §3).

Such a component is reported on the Cores table, and marks the rows of pipelines whose streams
it reads or writes with `unmanaged-components`. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.decide.components import Key
from reconciler.decide.model import ComponentKind, DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.records import Records


def unmanaged(
    state: DeclaredState, records: Records, observations: Mapping[str, Observation], core: str
) -> list[Key]:
    """Components on a Core that nobody declared and this reconciler never wrote."""
    observation = observations.get(core)
    if observation is None:
        return []
    declared = _declared_keys(state)
    owned = records.owned.get(core, frozenset())
    return sorted(
        key
        for key, component in observation.components.items()
        if key not in declared and key not in owned and not component.managed
    )


def unmanaged_streams(
    state: DeclaredState, records: Records, observations: Mapping[str, Observation]
) -> dict[str, set[str]]:
    """Per Core, the streams that its unmanaged components read or write."""
    touched: dict[str, set[str]] = {}
    for core, observation in observations.items():
        streams: set[str] = set()
        for key in unmanaged(state, records, observations, core):
            body = observation.components[key].body
            sinks = body.get("sink_streams")
            streams.update(s for s in (body.get("stream"), body.get("source_stream")) if s)
            streams.update(sinks if isinstance(sinks, list) else [])
            if key[0] is ComponentKind.STREAM:
                streams.add(key[1])
        touched[core] = streams
    return touched


def _declared_keys(state: DeclaredState) -> set[tuple[ComponentKind, str]]:
    return (
        {(ComponentKind.STREAM, name) for name in state.streams}
        | {(ComponentKind.CONNECTOR, name) for name in state.connectors}
        | {(ComponentKind.TASK, name) for name in state.tasks}
        | {(ComponentKind.QUERY, name) for name in state.queries}
    )
