"""The rules of SPEC §2 that span documents, and the literal-secret rule.

Each rule is a function from the declared state to problems. A reference to a name whose own
document failed its schema is not reported again as dangling: that document's problem is the one
to fix. Pure module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconciler.decide.declared.documents import Document, format_path
from reconciler.decide.declared.schemas import SECRET_KEYS
from reconciler.decide.model import (
    Connector,
    ConnectorType,
    DeclaredState,
    Kind,
    Pipeline,
)
from reconciler.errors import Problem

UNKNOWN_NAMES = "*"
"""Marks a kind whose names are not all known, because one of its files could not be parsed."""
Located = Mapping[tuple[Kind, str], Document]
Broken = Mapping[Kind, set[str]]


def literal_secrets(document: Document, kind: Kind) -> list[Problem]:
    """A Core token or any secret-named connector config key that holds the secret itself."""
    body = document.body
    label = f"{kind.value} {body.get('name')!r}"
    if kind is Kind.CORE:
        paths: list[list[str | int]] = [["token"]] if isinstance(body.get("token"), str) else []
    elif kind is Kind.CONNECTOR:
        paths = [["config", *path] for path in _secret_strings(body.get("config"), [])]
    else:
        paths = []
    return [
        Problem(
            document.origin.path,
            document.line_at(path),
            f"{label}: {format_path(path)} is a literal secret; keep it out of Git and write "
            "{env: VARIABLE} or {file: PATH}",
        )
        for path in paths
    ]


def _secret_strings(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str):
                yield [*path, key]
            else:
                yield from _secret_strings(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secret_strings(item, [*path, index])


def cross_check(state: DeclaredState, located: Located, broken: Broken) -> list[Problem]:
    """Dangling references, type mismatches and stream wiring, for the whole state."""
    checker = _Checker(state, located, broken)
    checker.connectors()
    checker.tasks()
    checker.pipelines()
    checker.assignments()
    checker.actions()
    return checker.problems


class _Checker:
    """Runs the rules, collecting problems located at the exact key that is wrong."""

    def __init__(self, state: DeclaredState, located: Located, broken: Broken) -> None:
        self.state, self.located, self.broken = state, located, broken
        self.problems: list[Problem] = []
        self.names: dict[Kind, Mapping[str, Any]] = {
            Kind.CORE: state.cores,
            Kind.STREAM: state.streams,
            Kind.CONNECTOR: state.connectors,
            Kind.TASK: state.tasks,
            Kind.QUERY: state.queries,
            Kind.PIPELINE: state.pipelines,
        }

    def report(self, kind: Kind, key: str, path: Sequence[str | int], message: str) -> None:
        document = self.located[(kind, key)]
        line = document.line_at(path)
        self.problems.append(Problem(document.origin.path, line, message))

    def refer(
        self, kind: Kind, key: str, path: Sequence[str | int], target: Kind, ref: str
    ) -> bool:
        """Check that `ref` names a declared `target`; report and return False when it does not."""
        if ref in self.names[target]:
            return True
        broken = self.broken.get(target, set())
        if ref not in broken and UNKNOWN_NAMES not in broken:
            label = f"{kind.value} {key!r}"
            field = format_path(path)
            message = f"{label}: {field} refers to {target.value} {ref!r}, which is not declared"
            self.report(kind, key, path, message)
        return False

    def connectors(self) -> None:
        for name, connector in self.state.connectors.items():
            self.refer(Kind.CONNECTOR, name, ["stream"], Kind.STREAM, connector.stream)

    def tasks(self) -> None:
        for name, task in self.state.tasks.items():
            self.refer(Kind.TASK, name, ["source_stream"], Kind.STREAM, task.source_stream)
            for index, stream in enumerate(task.sink_streams):
                self.refer(Kind.TASK, name, ["sink_streams", index], Kind.STREAM, stream)
            for index, query in enumerate(task.query_ids):
                self.refer(Kind.TASK, name, ["query_ids", index], Kind.QUERY, query)
            if task.source_stream in task.sink_streams:
                self.report(
                    Kind.TASK,
                    name,
                    ["sink_streams"],
                    f"Task {name!r}: writes to {task.source_stream!r}, the stream it reads from",
                )

    def pipelines(self) -> None:
        for name, pipeline in self.state.pipelines.items():
            resolved = self._pipeline_refs(name, pipeline)
            if resolved:
                self._wiring(name, pipeline)

    def _pipeline_refs(self, name: str, pipeline: Pipeline) -> bool:
        ok = self._connector_ref(name, ["source"], pipeline.source, ConnectorType.SOURCE)
        for index, task in enumerate(pipeline.task_ids):
            ok = self.refer(Kind.PIPELINE, name, ["task_ids", index], Kind.TASK, task) and ok
        for index, sink in enumerate(pipeline.sinks):
            ok = self._connector_ref(name, ["sinks", index], sink, ConnectorType.SINK) and ok
        return ok

    def _connector_ref(
        self, name: str, path: list[str | int], ref: str, wanted: ConnectorType
    ) -> bool:
        if not self.refer(Kind.PIPELINE, name, path, Kind.CONNECTOR, ref):
            return False
        connector: Connector = self.state.connectors[ref]
        if connector.type is wanted:
            return True
        actual = connector.type.value
        message = (
            f"Pipeline {name!r}: {format_path(path)} {ref!r} is a {actual} connector, "
            f"but a {wanted.value} is needed here"
        )
        self.report(Kind.PIPELINE, name, path, message)
        return False

    def _wiring(self, name: str, pipeline: Pipeline) -> None:
        """Source feeds the first task, each task feeds the next, the last feeds every sink."""
        source = self.state.connectors[pipeline.source]
        writer = f"source {source.name!r}"
        writes: tuple[str, ...] = (source.stream,)
        for index, task_name in enumerate(pipeline.task_ids):
            task = self.state.tasks[task_name]
            if task.source_stream not in writes:
                reader = f"task {task_name!r} reads from {task.source_stream!r}"
                self._gap(name, ["task_ids", index], writer, writes, reader)
            writer, writes = f"task {task_name!r}", task.sink_streams
        for index, sink_name in enumerate(pipeline.sinks):
            sink = self.state.connectors[sink_name]
            if sink.stream not in writes:
                reader = f"sink {sink_name!r} reads from {sink.stream!r}"
                self._gap(name, ["sinks", index], writer, writes, reader)

    def _gap(
        self, name: str, path: list[str | int], writer: str, writes: Sequence[str], reader: str
    ) -> None:
        streams = ", ".join(repr(stream) for stream in writes)
        message = f"Pipeline {name!r}: stream gap: {writer} writes to {streams} but {reader}"
        self.report(Kind.PIPELINE, name, path, message)

    def assignments(self) -> None:
        for pipeline, assignment in self.state.assignments.items():
            self.refer(Kind.ASSIGNMENT, pipeline, ["pipeline"], Kind.PIPELINE, pipeline)
            for index, core in enumerate(assignment.cores):
                self.refer(Kind.ASSIGNMENT, pipeline, ["cores", index], Kind.CORE, core)

    def actions(self) -> None:
        for key, action in self.state.actions.items():
            self.refer(Kind.CORE_ACTION, key, ["pipeline"], Kind.PIPELINE, action.pipeline)
            for index, core in enumerate(action.cores):
                self.refer(Kind.CORE_ACTION, key, ["cores", index], Kind.CORE, core)
