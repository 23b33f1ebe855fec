"""Reading back many Cores: concurrently (as the reconciler does) against one at a time.

Starts N reference Cores (default 8) as real processes on loopback, each holding a small
pipeline and answering every request 100 ms late (the reference Core's latency fault), then
reads them all back with the Core pool at full concurrency and with a concurrency of one, best of
three each. Run: `python -m bench.bench_readback [CORES]`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from reconciler.decide.model import Core, Origin, SecretRef
from reconciler.shell.core.policy import ClientSettings
from reconciler.shell.core.pool import CorePool
from tests.support.access import set_faults
from tests.support.cores import CoreProcess

LATENCY_MS = 100


def populate(core: CoreProcess) -> None:
    with core.client() as client:
        client.put("streams/raw", json={}).raise_for_status()
        client.put("streams/out", json={}).raise_for_status()
        for name, kind in (("in", "source"), ("sink", "sink")):
            stream = "raw" if kind == "source" else "out"
            body = {
                "type": kind,
                "class": "file",
                "stream": stream,
                "config": {"path": f"{name}.log"},
            }
            client.put(f"connectors/{name}", json=body).raise_for_status()


async def read_all(cores: list[Core], environ: dict[str, str], concurrency: int) -> float:
    settings = ClientSettings(readback_concurrency=concurrency)
    best = float("inf")
    async with CorePool(environ, settings) as pool:
        for _ in range(3):
            started = time.perf_counter()
            found = await pool.readback_all(cores)
            best = min(best, time.perf_counter() - started)
            assert all(observation.reachable for observation in found.values())
    return best


def main(count: int = 8) -> None:
    with tempfile.TemporaryDirectory() as folder:
        processes = [CoreProcess.create(Path(folder) / f"c{i}", f"c{i}") for i in range(count)]
        try:
            for process in processes:
                process.start()
                populate(process)
                set_faults(process, {"path_prefix": "/api/v1/", "latency_ms": LATENCY_MS})
            environ = {f"TOKEN_{i}": p.token for i, p in enumerate(processes)}
            cores = [
                Core(p.name, p.url, SecretRef(env=f"TOKEN_{i}"), Origin("cores/x.yaml", 1))
                for i, p in enumerate(processes)
            ]
            together = asyncio.run(read_all(cores, environ, concurrency=count))
            one_by_one = asyncio.run(read_all(cores, environ, concurrency=1))
        finally:
            for process in processes:
                process.stop()
    print(f"{count} Cores, {LATENCY_MS} ms added to every request")
    print(f"concurrent readback (as shipped): {together:6.3f} s")
    ratio = one_by_one / together
    print(f"one Core at a time:               {one_by_one:6.3f} s   ratio {ratio:5.2f}x")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
