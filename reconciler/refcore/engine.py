"""The Core's operations, as the protocol exposes them: CRUD, lifecycle actions, status, metrics.

Each operation checks, in order: the body (422 `invalid_body` / `invalid_pdl`), existence (404
`not_found`, 409 `already_exists`), references to other components (422 `unknown_reference`),
and what deletion would break (409 `in_use`, 409 `running`). Then it stores the change and brings
the runtime in line: a replaced component that was running is restarted on its new spec, and so
is a detection task whose saved query changed.

I/O module (through the registry and the runtime).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.refcore import connectors
from reconciler.refcore.errors import ApiError, ErrorCode, not_found
from reconciler.refcore.pdl import parse
from reconciler.refcore.registry import Record, Registry
from reconciler.refcore.runtime import Runtime, State, Worker, WorkerFactory
from reconciler.refcore.specs import Kind, Spec, normalize
from reconciler.refcore.streams import Counters
from reconciler.refcore.tasks import TaskWorker, detection, processing

log = logging.getLogger("reconciler.refcore.engine")
Body = dict[str, Any]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Engine:
    """One Core: its name, registry and runtime."""

    def __init__(
        self,
        name: str,
        version: str,
        registry: Registry,
        runtime: Runtime,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.name = name
        self.version = version
        self.registry = registry
        self.runtime = runtime
        self.clock = clock
        self.started_at = clock()

    @property
    def data_dir(self) -> Path:
        return self.registry.data_dir

    async def open(self) -> None:
        """Bring up the live streams of the stored registry; components stay stopped."""
        for record in self.registry.records(Kind.STREAM):
            await self.runtime.set_stream(record.name, record.spec["backpressure"])

    async def close(self) -> None:
        await self.runtime.shutdown()

    # --- reading ---------------------------------------------------------------------------

    def bodies(self, kind: Kind) -> list[Body]:
        return [self.body(kind, record) for record in self.registry.records(kind)]

    def get(self, kind: Kind, name: str) -> Body:
        return self.body(kind, self._record(kind, name))

    def body(self, kind: Kind, record: Record) -> Body:
        body: Body = {**record.spec, "id": record.name}
        body.update(created_at=record.created_at, updated_at=record.updated_at)
        if kind.runs:
            component = self.runtime.component(kind, record.name)
            body.update(state=component.state.value, error=component.error)
        return body

    def health(self) -> Body:
        return {"status": "ok", "name": self.name, "version": self.version}

    def status(self) -> Body:
        def states(kind: Kind) -> list[Body]:
            components = (self.runtime.component(kind, r.name) for r in self.registry.records(kind))
            return [{"id": c.name, "state": c.state.value, "error": c.error} for c in components]

        return {
            "name": self.name,
            "version": self.version,
            "started_at": self.started_at,
            "connectors": states(Kind.CONNECTOR),
            "tasks": states(Kind.TASK),
        }

    def metrics(self) -> Body:
        def counters(kind: Kind) -> dict[str, dict[str, int]]:
            return {
                r.name: self.runtime.component(kind, r.name).counters.as_dict()
                for r in self.registry.records(kind)
            }

        return {
            "connectors": counters(Kind.CONNECTOR),
            "tasks": counters(Kind.TASK),
            "streams": {name: s.metrics() for name, s in sorted(self.runtime.streams.items())},
        }

    # --- changing ----------------------------------------------------------------------------

    async def create(self, kind: Kind, payload: object) -> Body:
        spec = normalize(kind, payload)
        if self.registry.get(kind, spec["name"]) is not None:
            raise ApiError(
                409,
                ErrorCode.ALREADY_EXISTS,
                f"{kind.singular} {spec['name']!r} already exists; use PUT to replace it",
            )
        return await self._store(kind, spec, previous=None)

    async def replace(self, kind: Kind, name: str, payload: object) -> tuple[Body, bool]:
        """The stored body and whether it was created (rather than replaced)."""
        spec = normalize(kind, payload, name)
        previous = self.registry.get(kind, name)
        return await self._store(kind, spec, previous), previous is None

    async def edit(self, kind: Kind, name: str, patch: object) -> Body:
        """Merge `patch` (JSON merge patch) into a stored spec, as a person in a console would."""
        previous = self._record(kind, name)
        if not isinstance(patch, dict):
            raise ApiError(422, ErrorCode.INVALID_BODY, "an edit must be a JSON object")
        merged = merge_patch(previous.spec, {**patch, "name": name})
        return await self._store(kind, normalize(kind, merged, name), previous)

    async def delete(self, kind: Kind, name: str) -> None:
        self._record(kind, name)
        users = self._users(kind, name)
        if users:
            raise ApiError(
                409, ErrorCode.IN_USE, f"{kind.singular} {name!r} is used by {', '.join(users)}"
            )
        if kind.runs:
            component = self.runtime.component(kind, name)
            if component.active:
                raise ApiError(
                    409,
                    ErrorCode.RUNNING,
                    f"{kind.singular} {name!r} is {component.state.value}; stop it first",
                )
            self.runtime.forget(kind, name)
        self.registry.delete(kind, name)
        if kind is Kind.STREAM:
            self.runtime.drop_stream(name)
        log.info("%s %r deleted", kind.singular, name)

    async def act(self, kind: Kind, name: str, verb: str) -> Body:
        record = self._record(kind, name)
        component = self.runtime.component(kind, name)
        if verb == "stop":
            await self.runtime.stop(component)
            return self.body(kind, record)
        if kind is Kind.CONNECTOR and not record.spec["enabled"]:
            raise ApiError(
                409, ErrorCode.DISABLED, f"connector {name!r} is disabled (enabled: false)"
            )
        factory = self._factory(kind, record.spec)
        if verb == "restart":
            await self.runtime.restart(component, factory)
        else:
            await self.runtime.start(component, factory)
        return self.body(kind, record)

    # --- internals ---------------------------------------------------------------------------

    def _record(self, kind: Kind, name: str) -> Record:
        record = self.registry.get(kind, name)
        if record is None:
            raise not_found(f"{kind.singular} {name!r}")
        return record

    async def _store(self, kind: Kind, spec: Spec, previous: Record | None) -> Body:
        self._check_references(kind, spec)
        if kind is Kind.CONNECTOR and previous and previous.spec["type"] != spec["type"]:
            raise ApiError(
                422,
                ErrorCode.IMMUTABLE_FIELD,
                f"connector {spec['name']!r} field 'type' cannot change after create",
            )
        now = self.clock()
        record = Record(spec, previous.created_at if previous else now, now)
        self.registry.put(kind, record)
        log.info("%s %r %s", kind.singular, record.name, "replaced" if previous else "created")
        await self._apply(kind, record)
        return self.body(kind, record)

    async def _apply(self, kind: Kind, record: Record) -> None:
        if kind is Kind.STREAM:
            await self.runtime.set_stream(record.name, record.spec["backpressure"])
        elif kind is Kind.QUERY:
            for task in self.registry.records(Kind.TASK):
                if record.name in task.spec.get("query_ids", ()):
                    await self._restart_if_running(Kind.TASK, task)
        else:
            await self._restart_if_running(kind, record)

    async def _restart_if_running(self, kind: Kind, record: Record) -> None:
        component = self.runtime.component(kind, record.name)
        if component.state is not State.RUNNING:
            return
        if kind is Kind.CONNECTOR and not record.spec["enabled"]:
            await self.runtime.stop(component)
            return
        await self.runtime.restart(component, self._factory(kind, record.spec))

    def _check_references(self, kind: Kind, spec: Spec) -> None:
        wanted: list[tuple[Kind, str]] = []
        if kind is Kind.CONNECTOR:
            wanted.append((Kind.STREAM, spec["stream"]))
        elif kind is Kind.TASK:
            streams = [spec["source_stream"], *spec["sink_streams"]]
            wanted.extend((Kind.STREAM, stream) for stream in streams)
            wanted.extend((Kind.QUERY, query) for query in spec.get("query_ids", ()))
        for other, name in wanted:
            if self.registry.get(other, name) is None:
                raise ApiError(
                    422,
                    ErrorCode.UNKNOWN_REFERENCE,
                    f"{kind.singular} {spec['name']!r} refers to {other.singular} {name!r},"
                    " which does not exist",
                )

    def _users(self, kind: Kind, name: str) -> list[str]:
        if kind is Kind.STREAM:
            return list(self.registry.users_of_stream(name))
        if kind is Kind.QUERY:
            return list(self.registry.users_of_query(name))
        return []

    def _factory(self, kind: Kind, spec: Spec) -> WorkerFactory:
        if kind is Kind.CONNECTOR:
            return lambda counters: self._connector(spec, counters)
        return lambda counters: self._task(spec, counters)

    def _connector(self, spec: Spec, counters: Counters) -> Worker:
        stream = self.runtime.streams[spec["stream"]]
        context = connectors.Context(spec["name"], spec["config"], stream, counters, self.data_dir)
        return connectors.build(spec["class"], spec["type"], context)

    def _task(self, spec: Spec, counters: Counters) -> TaskWorker:
        streams = self.runtime.streams
        sinks = [streams[name] for name in spec["sink_streams"]]
        if spec["mode"] == "processing":
            transform = processing(parse(spec["query"]))
        else:
            saved = [self._record(Kind.QUERY, query_id) for query_id in spec["query_ids"]]
            transform = detection([(query.name, parse(query.spec["pdl"])) for query in saved])
        return TaskWorker(streams[spec["source_stream"]], sinks, transform, counters)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null removes, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
