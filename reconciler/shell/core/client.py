"""The Core client: everything the reconciler says to one Core goes through a `CoreClient`.

    readback(previous) -> Observation           never raises: a failure is an unreachable value
    get(kind, name) -> ObservedComponent | None  None when the Core does not hold it
    put(kind, name, body) -> ObservedComponent   creates or replaces
    delete(kind, name) -> None                   gone already counts, if the listing agrees
    act(kind, name, verb) -> ObservedComponent   start, stop or restart a connector or task

Exceptions. `get`, `put`, `delete` and `act` raise one type for anything the Core, the network or
the token did:

    ReconcilerError                     (the tree is drawn in reconciler.errors)
    └── CoreCallError                   .reason (a `Reason`), .status (HTTP status or None),
                                        .message, .transient (may a later try succeed unchanged?)

The deployer turns it into an outcome value, so one Core's failure never aborts the others.
Calling an action on a stream or query, or passing a body whose `name` differs from `name` or
that JSON cannot encode, is a programming error: ValueError or TypeError, before anything is sent.

Retries and holding off are described in `policy`: transient failures are retried with
exponential backoff and full jitter; a 4xx never is; a 401 or 429 stops all calls to that Core
for a while. Retrying is safe because every write is idempotent: PUT replaces the whole
component and DELETE of a missing component counts as done (so a DELETE whose answer was lost
and is retried ends well); start and stop name an end state, and a repeated restart at worst
restarts twice, as a person clicking twice would.

A readback whose listings are byte for byte those of the last one reuses what they were
parsed into: the same `ObservedComponent`s and, when every listing is unchanged, the same
components mapping, so an idle fleet costs its Cores' answers and little parsing, and what is
computed from an observation can be kept while its components are the same object.

Tokens are sent on every call, health included, and never appear in logs, reprs or messages
(`tokens`). TLS verification is on unless the Core's file sets `tls.verify: false`; `tls.ca_file`
trusts that CA (and only it). Paths, fields and status mappings come from `api`; the HTTP
side of a call (token, retries, failure naming) lives in `connection`.

I/O module (HTTP).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from reconciler.decide.model import ActionVerb, ComponentKind, Core
from reconciler.decide.observed import Observation, ObservedComponent, Reason
from reconciler.errors import CoreCallError
from reconciler.shell.clock import Clock, utc_now
from reconciler.shell.core import api
from reconciler.shell.core.connection import Answer, CoreConnection
from reconciler.shell.core.policy import ClientSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
Components = dict[tuple[ComponentKind, str], ObservedComponent]


class CoreClient:
    """Talks to one Core over one HTTP connection pool; see the module docstring."""

    def __init__(
        self,
        core: Core,
        environ: Mapping[str, str],
        settings: ClientSettings = ClientSettings(),
        clock: Clock = utc_now,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        guard: Callable[[str], None] = lambda _what: None,
    ) -> None:
        """`environ` holds the `{env: VAR}` tokens; `transport` stands in for the network;
        `guard` is called with what a write is before each attempt goes out, and refuses it (a
        replica that lost its lease, `errors.LeaseLost`)."""
        self.core = core
        self._clock = clock
        self._connection = CoreConnection(core, environ, settings, clock, transport, guard=guard)
        self._listed: dict[ComponentKind, tuple[bytes, list[ObservedComponent]]] = {}
        self._components: tuple[tuple[int, ...], Components] | None = None

    @property
    def name(self) -> str:
        return self.core.name

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._connection.aclose()

    def __repr__(self) -> str:
        return f"CoreClient({self.name!r}, {self.core.url!r})"

    async def readback(self, previous: Observation | None = None) -> Observation:
        """What the Core holds now; on failure, `previous`'s components flagged unreachable."""
        if previous is not None and previous.core != self.name:
            raise ValueError(f"observation of core {previous.core} passed to core {self.name}")
        attempted_at = self._clock()
        started = time.perf_counter()
        try:
            async with self._connection.deadline("readback", self._readback_seconds(previous)):
                version, components = await self._read_everything()
        except CoreCallError as error:
            return self._failed(previous, attempted_at, started, error)
        except Exception as error:
            # a bug must not take the other Cores' readbacks down with it
            log.exception("core %s: readback failed unexpectedly", self.name)
            message = f"readback of core {self.name} failed unexpectedly ({type(error).__name__})"
            failure = CoreCallError(Reason.BAD_RESPONSE, message)
            return self._failed(previous, attempted_at, started, failure)
        return Observation(
            core=self.name,
            reachable=True,
            attempted_at=attempted_at,
            last_seen=self._clock(),
            components=components,
            version=version,
            duration_ms=_elapsed_ms(started),
        )

    def _readback_seconds(self, previous: Observation | None) -> float:
        """The short deadline while the last readback timed out, else the operation timeout."""
        timeouts = self._connection.settings.timeouts
        if previous is not None and previous.reason is Reason.TIMEOUT:
            return min(timeouts.suspect, timeouts.operation)
        return timeouts.operation

    async def get(self, kind: ComponentKind, name: str) -> ObservedComponent | None:
        """The component as the Core holds it, or None when it holds none by that name."""
        what = f"get {kind.value}/{name}"
        async with self._connection.deadline(what):
            try:
                path = api.component_path(kind, name)
                answer = await self._connection.request("GET", path, what)
            except CoreCallError as error:
                if error.reason is Reason.NOT_FOUND:
                    return None
                raise
        return self._component(kind, name, what, answer)

    async def put(
        self, kind: ComponentKind, name: str, body: Mapping[str, Any]
    ) -> ObservedComponent:
        """Create or replace the component; answers it as the Core now holds it."""
        what = f"put {kind.value}/{name}"
        content = api.encode_body(name, body)
        async with self._connection.deadline(what):
            path = api.component_path(kind, name)
            answer = await self._connection.request("PUT", path, what, content)
        return self._component(kind, name, what, answer)

    async def delete(self, kind: ComponentKind, name: str) -> None:
        """Delete the component; one that is already gone counts as deleted.

        A 404 is believed only when the Core's own listing agrees: a Core (or a proxy before it)
        that answers 404 to the delete of a component it still lists has not deleted it, and
        that is a failure.
        """
        what = f"delete {kind.value}/{name}"
        async with self._connection.deadline(what):
            try:
                await self._connection.request("DELETE", api.component_path(kind, name), what)
            except CoreCallError as error:
                if error.reason is not Reason.NOT_FOUND:
                    raise
                if any(held.name == name for held in await self._list(kind)):
                    message = f"core {self.name} answered {what} with 404 but still lists it"
                    raise CoreCallError(Reason.NOT_FOUND, message, error.status) from None
                log.debug("core %s: %s: already gone", self.name, what)

    async def act(self, kind: ComponentKind, name: str, verb: ActionVerb) -> ObservedComponent:
        """Start, stop or restart a connector or task; answers it with its new state."""
        what = f"{verb.value} {kind.value}/{name}"
        path = api.action_path(kind, name, verb)
        async with self._connection.deadline(what):
            answer = await self._connection.request("POST", path, what)
        return self._component(kind, name, what, answer)

    async def _read_everything(self) -> tuple[str | None, Components]:
        health = await self._connection.request("GET", api.HEALTH_PATH, "health")
        version = self._connection.parsed("health", health, api.parse_health)
        batches = await _all_or_first_error([self._list(kind) for kind in api.READBACK_KINDS])
        identity = tuple(id(batch) for batch in batches)
        if self._components is None or self._components[0] != identity:
            merged = {component.key: component for batch in batches for component in batch}
            self._components = (identity, merged)
        return version, self._components[1]

    async def _list(self, kind: ComponentKind) -> list[ObservedComponent]:
        """The components of one kind; an answer equal to the last one reuses its parse."""
        what = f"list {kind.value}"
        answer = await self._connection.request("GET", api.collection_path(kind), what)
        last = self._listed.get(kind)
        if last is not None and last[0] == answer.content:
            return last[1]
        batch = self._connection.parsed(what, answer, partial(api.parse_collection, kind))
        self._listed[kind] = (answer.content, batch)
        return batch

    def _component(
        self, kind: ComponentKind, name: str, what: str, answer: Answer
    ) -> ObservedComponent:
        component = self._connection.parsed(what, answer, partial(api.parse_component, kind))
        if component.name != name:
            message = f"core {self.name} answered {what} with component {component.name!r}"
            raise CoreCallError(Reason.BAD_RESPONSE, message, answer.status)
        return component

    def _failed(
        self,
        previous: Observation | None,
        attempted_at: datetime,
        started: float,
        error: CoreCallError,
    ) -> Observation:
        log.info("core %s: readback failed: %s", self.name, error.message)
        return Observation(
            core=self.name,
            reachable=False,
            attempted_at=attempted_at,
            last_seen=previous.last_seen if previous else None,
            components=previous.components if previous else {},
            version=previous.version if previous else None,
            reason=error.reason,
            message=error.message,
            duration_ms=_elapsed_ms(started),
        )


async def _all_or_first_error(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run `calls` together; the first failure cancels the rest and is raised alone."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except ExceptionGroup as group:
        failures = [error for error in group.exceptions if isinstance(error, CoreCallError)]
        raise (failures or group.exceptions)[0] from None
    return [task.result() for task in tasks]


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
