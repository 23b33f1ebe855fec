"""Resolution (SPEC §3): which Cores each pipeline belongs on, and the components it needs there.

A pipeline's components are the streams it touches, the saved queries its detection tasks use,
its sink connectors, its tasks and its source connector. Each becomes a `ComponentSpec` whose body
is exactly what the Core API takes: the YAML fields without `apiVersion` and `kind`. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.decide.components import ComponentSpec
from reconciler.decide.model import (
    ComponentKind,
    Connector,
    Core,
    DeclaredState,
    Query,
    Stream,
    Task,
)
from reconciler.decide.unmanaged import declared_keys


def selector_matches(selector: Mapping[str, str], core: Core) -> bool:
    """Every label of the selector is on the Core with the same value."""
    return all(core.labels.get(key) == value for key, value in selector.items())


def cores_for(state: DeclaredState, pipeline: str) -> tuple[str, ...]:
    """The Cores a pipeline is assigned to, sorted: named Cores and selector matches together."""
    return _cores(state, pipeline, _label_index(state))


def assignments(state: DeclaredState) -> dict[str, tuple[str, ...]]:
    """Every declared pipeline with its Cores (an empty tuple for `No assigned Cores`)."""
    return dict(resolution(state).cores)


def components(state: DeclaredState, pipeline: str) -> tuple[ComponentSpec, ...]:
    """The components a pipeline needs on every Core it runs on, in create order."""
    return _components(state, pipeline, lambda _kind, declared, build: build(declared))


def desired(
    state: DeclaredState, resolved: Resolution | None = None
) -> dict[str, dict[str, tuple[ComponentSpec, ...]]]:
    """For every Core: each pipeline assigned there and its components (SPEC §3 "desired")."""
    found = resolved or resolution(state)
    table: dict[str, dict[str, tuple[ComponentSpec, ...]]] = {core: {} for core in state.cores}
    for pipeline, cores in found.cores.items():
        specs = found.components[pipeline]
        for core in cores:
            table[core][pipeline] = specs
    return table


@dataclass(frozen=True, slots=True)
class Resolution:
    """Every declared pipeline's Cores and components, resolved once for one declared state.

    A component shared by pipelines is one `ComponentSpec`, so its canonical form is made once;
    `resolution` given the previous state and its resolution reuses the spec of every component
    whose declared object is unchanged (the same object: an unchanged file is not parsed again),
    a pipeline's components when it and every object they come from are unchanged, and its
    Cores when its assignment and the Cores' labels are.
    """

    cores: Mapping[str, tuple[str, ...]]
    components: Mapping[str, tuple[ComponentSpec, ...]]
    specs: Mapping[tuple[ComponentKind, str], tuple[object, ComponentSpec]]
    """Each component's spec by key, with the declared object it was made from."""
    declared: frozenset[tuple[ComponentKind, str]]
    """Every component key the state declares, used by a pipeline or not (`unmanaged`): made
    once per state, not once per use (a pass used it four times, 50,000 keys at 10,000
    pipelines)."""


def resolution(
    state: DeclaredState, previous: tuple[DeclaredState, Resolution] | None = None
) -> Resolution:
    """Resolve every pipeline of `state` (see `Resolution`)."""
    known = previous[1].specs if previous is not None else {}
    specs: dict[tuple[ComponentKind, str], tuple[object, ComponentSpec]] = {}
    index = _label_index(state)
    before = previous[0] if previous is not None else None
    same_cores = (
        before is not None
        and before.cores.keys() == state.cores.keys()
        and _label_index(before) == index
    )

    def spec(kind: ComponentKind, declared: object, build: Any) -> ComponentSpec:
        key = (kind, declared.name)  # type: ignore[attr-defined]
        found = specs.get(key) or known.get(key)
        if found is None or found[0] is not declared:
            found = (declared, build(declared))
        specs[key] = found
        return found[1]

    def cores_of(pipeline: str) -> tuple[str, ...]:
        if same_cores and before is not None and previous is not None:
            kept = previous[1].cores.get(pipeline)
            was = before.assignments.get(pipeline)
            if kept is not None and was is state.assignments.get(pipeline):
                return kept
        return _cores(state, pipeline, index)

    tables = _tables(state)

    def components_of(pipeline: str) -> tuple[ComponentSpec, ...]:
        kept = _kept_components(state, tables, previous, pipeline)
        if kept is None:
            return _components(state, pipeline, spec)
        for one in kept:
            specs[one.key] = known[one.key]
        return kept

    cores = {pipeline: cores_of(pipeline) for pipeline in sorted(state.pipelines)}
    made = {pipeline: components_of(pipeline) for pipeline in cores}
    return Resolution(cores, made, specs, frozenset(declared_keys(state)))


def _kept_components(
    state: DeclaredState,
    tables: Mapping[ComponentKind, Mapping[str, object]],
    previous: tuple[DeclaredState, Resolution] | None,
    pipeline: str,
) -> tuple[ComponentSpec, ...] | None:
    """The pipeline's components as resolved before, when nothing they come from changed: the
    pipeline is the same object, and so is each component's declared object (which holds the
    names of what it uses, so the set of components is the same too)."""
    if previous is None or previous[0].pipelines.get(pipeline) is not state.pipelines[pipeline]:
        return None
    kept = previous[1].components.get(pipeline)
    if kept is None:
        return None
    for one in kept:
        found = previous[1].specs.get(one.key)
        declared = tables[one.kind].get(one.name)
        if found is None or found[1] is not one or found[0] is not declared:
            return None
    return kept


def _tables(state: DeclaredState) -> Mapping[ComponentKind, Mapping[str, object]]:
    return {
        ComponentKind.STREAM: state.streams,
        ComponentKind.QUERY: state.queries,
        ComponentKind.CONNECTOR: state.connectors,
        ComponentKind.TASK: state.tasks,
    }


def _label_index(state: DeclaredState) -> dict[tuple[str, str], set[str]]:
    index: dict[tuple[str, str], set[str]] = {}
    for name, core in state.cores.items():
        for label in core.labels.items():
            index.setdefault(label, set()).add(name)
    return index


def _cores(
    state: DeclaredState, pipeline: str, index: Mapping[tuple[str, str], set[str]]
) -> tuple[str, ...]:
    assignment = state.assignments.get(pipeline)
    if assignment is None:
        return ()
    chosen = {core for core in assignment.cores if core in state.cores}
    if assignment.selector:
        matching = [index.get(label, set()) for label in assignment.selector.items()]
        chosen |= set.intersection(*matching)
    return tuple(sorted(chosen))


def _components(state: DeclaredState, pipeline: str, spec: Any) -> tuple[ComponentSpec, ...]:
    declared = state.pipelines[pipeline]
    connectors = [state.connectors[declared.source]]
    connectors += [state.connectors[name] for name in declared.sinks]
    tasks = [state.tasks[name] for name in declared.task_ids]
    streams = {connector.stream for connector in connectors}
    for task in tasks:
        streams.add(task.source_stream)
        streams.update(task.sink_streams)
    queries = {query for task in tasks for query in task.query_ids}
    made = [spec(ComponentKind.STREAM, state.streams[name], stream_spec) for name in streams]
    made += [spec(ComponentKind.QUERY, state.queries[name], query_spec) for name in queries]
    made += [spec(ComponentKind.CONNECTOR, c, connector_spec) for c in connectors]
    made += [spec(ComponentKind.TASK, task, task_spec) for task in tasks]
    return tuple(sorted(made, key=lambda one: (one.role, one.name)))


def stream_spec(stream: Stream) -> ComponentSpec:
    body: dict[str, Any] = {"name": stream.name}
    optional = {
        "wal": stream.wal,
        "retention": stream.retention,
        "backpressure": stream.backpressure,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    return ComponentSpec(ComponentKind.STREAM, stream.name, body)


def query_spec(query: Query) -> ComponentSpec:
    body: dict[str, Any] = {"name": query.name, "pdl": query.pdl}
    if query.description is not None:
        body["description"] = query.description
    return ComponentSpec(ComponentKind.QUERY, query.name, body)


def connector_spec(connector: Connector) -> ComponentSpec:
    body = {
        "name": connector.name,
        "type": connector.type.value,
        "class": connector.class_,
        "stream": connector.stream,
        "enabled": connector.enabled,
        "config": connector.config,
    }
    return ComponentSpec(ComponentKind.CONNECTOR, connector.name, body)


def task_spec(task: Task) -> ComponentSpec:
    body: dict[str, Any] = {
        "name": task.name,
        "mode": task.mode.value,
        "source_stream": task.source_stream,
        "sink_streams": list(task.sink_streams),
    }
    if task.query is not None:
        body["query"] = task.query
    if task.query_ids:
        body["query_ids"] = list(task.query_ids)
    return ComponentSpec(ComponentKind.TASK, task.name, body)
