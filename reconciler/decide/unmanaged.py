"""Components on a Core that nobody declared and this reconciler never wrote (SPEC §3).

Such a component is reported on the Cores table, and marks the rows of pipelines whose streams
it reads or writes with `unmanaged-components`. The set of declared components is built once
for all Cores. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from reconciler.decide.components import Key
from reconciler.decide.model import ComponentKind, DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.records import Records


def unmanaged_by_core(
    state: DeclaredState,
    records: Records,
    observations: Mapping[str, Observation],
    declared: AbstractSet[Key] | None = None,
) -> dict[str, list[Key]]:
    """Per Core, the components on it that nobody declared and this reconciler never wrote
    (`declared`: the state's `declared_keys`, when the caller has them already)."""
    declared = declared_keys(state) if declared is None else declared
    return {
        core: sorted(
            key
            for key, component in observation.components.items()
            if key not in declared
            and key not in records.owned.get(core, frozenset())
            and not component.managed
        )
        for core, observation in observations.items()
    }


def unmanaged(
    state: DeclaredState, records: Records, observations: Mapping[str, Observation], core: str
) -> list[Key]:
    """Components on one Core that nobody declared and this reconciler never wrote."""
    seen = {core: observations[core]} if core in observations else {}
    return unmanaged_by_core(state, records, seen).get(core, [])


def unmanaged_streams(
    state: DeclaredState,
    records: Records,
    observations: Mapping[str, Observation],
    declared: AbstractSet[Key] | None = None,
) -> dict[str, set[str]]:
    """Per Core, the streams that its unmanaged components read or write."""
    touched: dict[str, set[str]] = {}
    for core, keys in unmanaged_by_core(state, records, observations, declared).items():
        streams: set[str] = set()
        for key in keys:
            body = observations[core].components[key].body
            sinks = body.get("sink_streams")
            streams.update(s for s in (body.get("stream"), body.get("source_stream")) if s)
            streams.update(sinks if isinstance(sinks, list) else [])
            if key[0] is ComponentKind.STREAM:
                streams.add(key[1])
        touched[core] = streams
    return touched


def declared_keys(state: DeclaredState) -> set[Key]:
    """Every component key the declared state names."""
    return (
        {(ComponentKind.STREAM, name) for name in state.streams}
        | {(ComponentKind.CONNECTOR, name) for name in state.connectors}
        | {(ComponentKind.TASK, name) for name in state.tasks}
        | {(ComponentKind.QUERY, name) for name in state.queries}
    )
