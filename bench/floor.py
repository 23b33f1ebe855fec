"""Floors and peers, each run as a child process beside the reconciler's command it is compared to.

    python -m bench.floor parse DIR                  libyaml parse of every YAML file under DIR
    python -m bench.floor status DIR MANIFEST        the same parse, then a bare readback
    python -m bench.floor readback MANIFEST [ROUNDS] bare httpx readback of a fleet, ROUNDS times
    python -m bench.floor pool MANIFEST              the reconciler's CorePool readback, cold
    python -m bench.floor write FROM TO              the components of fleet FROM written to TO

Each prints one JSON object: the seconds and CPU seconds of the work itself (imports excluded)
and the process's peak RSS in MiB. The bare client does what a readback must (health and the
four collections of every Core, 16 Cores at a time, JSON parsed) and no more; its writes go 16
Cores at a time, each Core's in the reconciler's order. I/O module (files, sockets).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.measure import proc_rss

KINDS = ("streams", "queries", "connectors", "tasks")
CONCURRENCY = 16
CORE_FIELDS = ("id", "state", "error", "created_at", "updated_at")


def parse(folder: Path) -> int:
    """Documents parsed by libyaml from every YAML file under `folder` (no validation)."""
    count = 0
    for path in sorted(folder.rglob("*.y*ml")):
        if ".git" not in path.parts:
            count += sum(1 for _ in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    return count


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


def measured(work: Callable[[], Any]) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": seconds, "cpu": cpu, "rss_mib": proc_rss_self(), "result": result}


def proc_rss_self() -> float:
    return proc_rss(os.getpid())


def main(args: list[str]) -> None:
    verb, *rest = args
    paths = [Path(arg) for arg in rest[:2]]
    works: dict[str, Callable[[], Any]] = {
        "parse": lambda: parse(paths[0]),
        "status": lambda: (parse(paths[0]), len(asyncio.run(readback(paths[1])))),
        "readback": lambda: len(asyncio.run(readback(paths[0], int([*rest, "1", "1"][1])))),
        "pool": lambda: asyncio.run(pool(paths[0])),
        "write": lambda: asyncio.run(write(paths[0], paths[1])),
    }
    print(json.dumps(measured(works[verb])))


if __name__ == "__main__":
    main(sys.argv[1:])
