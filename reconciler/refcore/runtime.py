"""Lifecycle of the components that run: connectors and tasks.

    stopped ──start──▶ starting ──opened──▶ running ──stop──▶ stopping ──▶ stopped
                           │                   │
                           └─────fails─────────┴──▶ failed (with an `error` sentence)

A component runs as a `Worker`: `open()` acquires what it needs (subscriptions, sockets, files)
and fails fast; `run()` loops until cancelled; `close()` releases everything and may be called
more than once. Starting a running component and stopping a stopped one are no-ops. Each
component's operations are serialised by its own lock, so a start racing a stop stays coherent.
The runtime also holds the live streams, one per registered stream.

I/O module (asyncio tasks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from reconciler.refcore.specs import Kind
from reconciler.refcore.streams import Backpressure, Counters, Stream

log = logging.getLogger("reconciler.refcore.runtime")


class State(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FAILED = "failed"


class WorkerError(Exception):
    """A component cannot run; the message is the sentence shown as its `error`."""


class Worker(Protocol):
    async def open(self) -> None: ...

    async def run(self) -> None: ...

    async def close(self) -> None: ...


WorkerFactory = Callable[[Counters], Worker]


@dataclass(slots=True)
class Component:
    """The live side of one connector or task."""

    kind: Kind
    name: str
    state: State = State.STOPPED
    error: str | None = None
    counters: Counters = field(default_factory=Counters)
    worker: Worker | None = None
    task: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def active(self) -> bool:
        return self.state in (State.STARTING, State.RUNNING, State.STOPPING)

    def label(self) -> str:
        return f"{self.kind.singular} {self.name!r}"


class Runtime:
    """Live streams and components of one Core."""

    def __init__(self, stream_capacity: int, stream_timeout_seconds: float) -> None:
        self.stream_capacity = stream_capacity
        self.stream_timeout_seconds = stream_timeout_seconds
        self.streams: dict[str, Stream] = {}
        self.components: dict[tuple[Kind, str], Component] = {}

    async def set_stream(self, name: str, backpressure: str) -> None:
        """Create the live stream `name`, or change its policy when it exists."""
        policy = Backpressure(backpressure)
        if name in self.streams:
            await self.streams[name].set_backpressure(policy)
            return
        self.streams[name] = Stream(name, self.stream_capacity, policy, self.stream_timeout_seconds)

    def drop_stream(self, name: str) -> None:
        self.streams.pop(name, None)

    def component(self, kind: Kind, name: str) -> Component:
        return self.components.setdefault((kind, name), Component(kind, name))

    def forget(self, kind: Kind, name: str) -> None:
        self.components.pop((kind, name), None)

    async def start(self, component: Component, factory: WorkerFactory) -> None:
        async with component.lock:
            if component.state in (State.STARTING, State.RUNNING):
                return
            await self._start(component, factory)

    async def stop(self, component: Component) -> None:
        async with component.lock:
            await self._stop(component)

    async def restart(self, component: Component, factory: WorkerFactory) -> None:
        async with component.lock:
            await self._stop(component)
            await self._start(component, factory)

    async def shutdown(self) -> None:
        await asyncio.gather(*(self.stop(c) for c in list(self.components.values())))

    async def _start(self, component: Component, factory: WorkerFactory) -> None:
        component.state, component.error = State.STARTING, None
        worker: Worker | None = None
        try:
            worker = factory(component.counters)
            await worker.open()
        except Exception as error:  # whatever stops a component from opening fails only it
            if not isinstance(error, WorkerError | OSError):
                log.exception("%s could not open", component.label())
            if worker is not None:
                await worker.close()
            self._fail(component, _sentence(error))
            return
        component.worker, component.state = worker, State.RUNNING
        component.task = asyncio.create_task(self._run(component, worker), name=component.label())
        log.info("%s running", component.label())

    async def _run(self, component: Component, worker: Worker) -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a worker bug or a lost resource fails only this component
            log.exception("%s stopped by an error", component.label())
            self._fail(component, _sentence(error))
            await worker.close()

    async def _stop(self, component: Component) -> None:
        if component.state is State.STOPPED:
            return
        component.state = State.STOPPING
        task, component.task = component.task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        if component.worker is not None:
            await component.worker.close()
            component.worker = None
        component.state, component.error = State.STOPPED, None
        log.info("%s stopped", component.label())

    def _fail(self, component: Component, error: str) -> None:
        component.state, component.error = State.FAILED, error
        log.warning("%s failed: %s", component.label(), error)


def _sentence(error: BaseException) -> str:
    if isinstance(error, WorkerError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return f"{type(error).__name__}: {error}".lower()
