"""Resolution (SPEC §3): which Cores each pipeline belongs on, and the components it needs there.

A pipeline's components are the streams it touches, the saved queries its detection tasks use,
its sink connectors, its tasks and its source connector. Each becomes a `ComponentSpec` whose body
is exactly what the Core API takes: the YAML fields without `apiVersion` and `kind`. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def selector_matches(selector: Mapping[str, str], core: Core) -> bool:
    """Every label of the selector is on the Core with the same value."""
    return all(core.labels.get(key) == value for key, value in selector.items())


def cores_for(state: DeclaredState, pipeline: str) -> tuple[str, ...]:
    """The Cores a pipeline is assigned to, sorted: named Cores and selector matches together."""
    assignment = state.assignments.get(pipeline)
    if assignment is None:
        return ()
    chosen = set(assignment.cores)
    if assignment.selector:
        chosen.update(
            name
            for name, core in state.cores.items()
            if selector_matches(assignment.selector, core)
        )
    return tuple(sorted(chosen & set(state.cores)))


def assignments(state: DeclaredState) -> dict[str, tuple[str, ...]]:
    """Every declared pipeline with its Cores (an empty tuple for `No assigned Cores`)."""
    return {pipeline: cores_for(state, pipeline) for pipeline in sorted(state.pipelines)}


def components(state: DeclaredState, pipeline: str) -> tuple[ComponentSpec, ...]:
    """The components a pipeline needs on every Core it runs on, in create order."""
    declared = state.pipelines[pipeline]
    connectors = [state.connectors[declared.source]]
    connectors += [state.connectors[name] for name in declared.sinks]
    tasks = [state.tasks[name] for name in declared.task_ids]
    streams = {connector.stream for connector in connectors}
    for task in tasks:
        streams.add(task.source_stream)
        streams.update(task.sink_streams)
    queries = {query for task in tasks for query in task.query_ids}
    specs = [stream_spec(state.streams[name]) for name in streams]
    specs += [query_spec(state.queries[name]) for name in queries]
    specs += [connector_spec(connector) for connector in connectors]
    specs += [task_spec(task) for task in tasks]
    return tuple(sorted(specs, key=lambda spec: (spec.role, spec.name)))


def desired(state: DeclaredState) -> dict[str, dict[str, tuple[ComponentSpec, ...]]]:
    """For every Core: each pipeline assigned there and its components (SPEC §3 "desired")."""
    table: dict[str, dict[str, tuple[ComponentSpec, ...]]] = {core: {} for core in state.cores}
    for pipeline, cores in assignments(state).items():
        specs = components(state, pipeline)
        for core in cores:
            table[core][pipeline] = specs
    return table


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
