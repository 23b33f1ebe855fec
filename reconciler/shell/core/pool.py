"""One `CoreClient` per Core, and reading back many Cores at once.

A pool opens a client the first time a Core is asked for and keeps it (its connections, its
hold-off state after a 401) for later passes. Clients are keyed by everything that shapes the
connection (name, url, token reference, TLS), so a Deploy All working from an older revision's
Core file and a readback working from the newest never share, or close, each other's client.
`retain` closes the clients of Cores no longer declared; closing the pool closes them all.

A pool may be given a transport factory: it answers, per Core, the httpx transport that Core's
client talks through (None: the network). Tests hand in `httpx.ASGITransport`s of reference Core
apps running in their own process, so the whole shell runs against real Cores without sockets.

`readback_all` reads back every Core concurrently, at most `readback_concurrency` at a time.
Each readback is bounded by the operation timeout and never raises, so one slow or dead Core
costs only its own slot and its own timeout; the others come back as soon as they answer.

I/O module (HTTP, through the clients).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from types import TracebackType
from typing import Self

import httpx

from reconciler.decide.model import Core, SecretRef, Tls
from reconciler.decide.observed import Observation
from reconciler.shell.clock import Clock, utc_now
from reconciler.shell.core.client import CoreClient
from reconciler.shell.core.policy import ClientSettings

_Identity = tuple[str, str, SecretRef, Tls]
Transports = Callable[[Core], httpx.AsyncBaseTransport | None]
"""The transport a Core's client uses, or None for the network."""


def _identity(core: Core) -> _Identity:
    return (core.name, core.url, core.token, core.tls)


class CorePool:
    """The clients of every Core this process talks to; use it with `async with`."""

    def __init__(
        self,
        environ: Mapping[str, str],
        settings: ClientSettings = ClientSettings(),
        clock: Clock = utc_now,
        transports: Transports | None = None,
        *,
        guard: Callable[[str, str], None] = lambda _core, _what: None,
    ) -> None:
        """`guard(core, what)` refuses a write to the Core named `core` by raising (see
        `CoreClient`)."""
        self._guard = guard
        self._environ = environ
        self._settings = settings
        self._clock = clock
        self._transports = transports
        self._clients: dict[_Identity, CoreClient] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def client(self, core: Core) -> CoreClient:
        """The client for `core`, opened on first use."""
        key = _identity(core)
        if key not in self._clients:
            transport = self._transports(core) if self._transports is not None else None
            self._clients[key] = CoreClient(
                core, self._environ, self._settings, self._clock, transport,
                guard=partial(self._guard, core.name),
            )  # fmt: skip
        return self._clients[key]

    def connected(self) -> list[str]:
        """The names of the Cores that have an open client, sorted (a name may repeat when two
        revisions declare a Core differently)."""
        return sorted(name for name, _url, _token, _tls in self._clients)

    async def readback_all(
        self,
        cores: Iterable[Core],
        previous: Mapping[str, Observation] | None = None,
        on_each: Callable[[Observation], None] | None = None,
    ) -> dict[str, Observation]:
        """Every Core's observation by name; `on_each` sees each one as soon as it is ready."""
        earlier = previous or {}
        slots = asyncio.Semaphore(self._settings.readback_concurrency)

        async def one(core: Core) -> Observation:
            async with slots:
                observation = await self.client(core).readback(earlier.get(core.name))
            if on_each is not None:
                on_each(observation)
            return observation

        async with asyncio.TaskGroup() as group:
            tasks = {core.name: group.create_task(one(core)) for core in cores}
        return {name: task.result() for name, task in tasks.items()}

    async def retain(self, cores: Iterable[Core]) -> None:
        """Close the clients of every Core not in `cores` (called once per pass)."""
        keep = {_identity(core) for core in cores}
        for key in [key for key in self._clients if key not in keep]:
            await self._clients.pop(key).aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
