"""The bare HTTP client the floors measure: what a readback or a deployment must do, and no more.

It reads health and the four collections of every Core, 16 Cores at a time, JSON parsed; its
writes go 16 Cores at a time, each Core's in the reconciler's order. `pool` is the reconciler's
own CorePool on the same fleet, cold. I/O module (sockets).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx

KINDS = ("streams", "queries", "connectors", "tasks")
CONCURRENCY = 16
CORE_FIELDS = ("id", "state", "error", "created_at", "updated_at")


def fleet(manifest: Path) -> list[tuple[str, str, str]]:
    listed = json.loads(manifest.read_text())
    return [(c["name"], c["url"], Path(c["token_file"]).read_text().strip()) for c in listed]


async def bounded(calls: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


async def read_core(client: httpx.AsyncClient, url: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    paths = ["health", *KINDS]
    answers = await asyncio.gather(
        *(client.get(f"{url}/api/v1/{p}", headers=headers) for p in paths)
    )
    for answer in answers:
        answer.raise_for_status()
    return dict(zip(paths, (answer.json() for answer in answers), strict=True))


async def readback(manifest: Path, rounds: int = 1) -> list[dict[str, Any]]:
    cores = fleet(manifest)
    found: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(rounds):
            calls = [partial(read_core, client, url, token) for _, url, token in cores]
            found = await bounded(calls)
    return found


async def pool(manifest: Path) -> int:
    # imported here only: the bare client's process must not carry the reconciler's modules
    from reconciler.decide.model import Core, Origin, SecretRef  # noqa: PLC0415
    from reconciler.shell.core.pool import CorePool  # noqa: PLC0415

    cores = fleet(manifest)
    environ = {f"PADAS_TOKEN_{i}": token for i, (_, _, token) in enumerate(cores)}
    declared = [
        Core(name, url, SecretRef(env=f"PADAS_TOKEN_{i}"), Origin("cores/bench.yaml", 1))
        for i, (name, url, _) in enumerate(cores)
    ]
    async with CorePool(environ) as readers:
        found = await readers.readback_all(declared)
    if not all(observation.reachable for observation in found.values()):
        raise SystemExit("a Core did not answer the pool's readback")
    return len(found)


def order(kind: str, body: dict[str, Any]) -> int:
    """The reconciler's creation order: streams, queries, sinks, tasks, sources."""
    if kind == "connectors":
        return 2 if body.get("type") == "sink" else 4
    return {"streams": 0, "queries": 1, "tasks": 3}[kind]


async def write(source: Path, target: Path) -> int:
    held = await readback(source)
    targets = fleet(target)
    async with httpx.AsyncClient(timeout=60) as client:

        async def put_all(url: str, token: str, listing: dict[str, Any]) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            items = [(kind, item) for kind in KINDS for item in listing[kind]]
            items.sort(key=lambda pair: order(pair[0], pair[1]))
            for kind, item in items:
                body = {k: v for k, v in item.items() if k not in CORE_FIELDS}
                path = f"{url}/api/v1/{kind}/{item['id']}"
                (await client.put(path, json=body, headers=headers)).raise_for_status()
            return len(items)

        calls = [
            partial(put_all, url, token, listing)
            for (_, url, token), listing in zip(targets, held, strict=True)
        ]
        return sum(await bounded(calls))
