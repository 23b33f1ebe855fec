"""Floors and peers, each run as a child process beside the reconciler's command it is compared to.

    python -m bench.floor parse DIR                  libyaml parse of every YAML file under DIR
    python -m bench.floor status DIR MANIFEST        the same parse, then a bare readback
    python -m bench.floor readback MANIFEST [ROUNDS] bare httpx readback of a fleet, ROUNDS times
    python -m bench.floor pool MANIFEST              the reconciler's CorePool readback, cold
    python -m bench.floor write FROM TO              the components of fleet FROM written to TO

Each prints one JSON object: the seconds and CPU seconds of the work itself (imports excluded)
and the process's peak RSS in MiB; the harness adds the child's wall time, start-up included,
and compares that with the reconciler's own command, start-up included. So the child loads what
its verb needs and no more: `parse` loads PyYAML alone, the others the bare HTTP client of
`bench.barehttp` too. I/O module (files, sockets).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.measure import proc_rss


def parse(folder: Path) -> int:
    """Documents parsed by libyaml from every YAML file under `folder` (no validation)."""
    count = 0
    for path in sorted(folder.rglob("*.y*ml")):
        if ".git" not in path.parts:
            count += sum(1 for _ in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    return count


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
    if verb == "parse":
        print(json.dumps(measured(lambda: parse(paths[0]))))
        return
    http = importlib.import_module("bench.barehttp")
    works: dict[str, Callable[[], Any]] = {
        "status": lambda: (parse(paths[0]), len(asyncio.run(http.readback(paths[1])))),
        "readback": lambda: len(asyncio.run(http.readback(paths[0], int([*rest, "1", "1"][1])))),
        "pool": lambda: asyncio.run(http.pool(paths[0])),
        "write": lambda: asyncio.run(http.write(paths[0], paths[1])),
    }
    print(json.dumps(measured(works[verb])))


if __name__ == "__main__":
    main(sys.argv[1:])
