"""Waiting for what a push causes: a report commit on the origin, a task's query on its Cores.

Each waits by polling with a deadline and answers the seconds from the moment given (the push).
I/O module (Git refs, HTTP to the fleet).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import httpx

from bench.generate import FleetProcess, git, task_query
from bench.measure import wait_for
from bench.world import World

_WRITE = re.compile(r'^(\S+ \S+) INFO uvicorn\.access .*"(?:PUT|POST|DELETE) /api/v1/')


def report_after(world: World, commit: str, started: float, timeout: float = 900) -> float:
    """Seconds from `started` until the origin's head is a commit on top of `commit`."""
    wait_for(lambda: world.head() != commit, timeout, f"a report commit on {commit[:12]}")
    seconds = time.perf_counter() - started
    parent = git(world.origin, "rev-parse", "main^")
    if parent != commit:
        raise RuntimeError(f"the origin's head is not a report on {commit[:12]}")
    return seconds


def deployed_after(world: World, index: int, cores: list[str], started: float) -> float:
    """Seconds from `started` until pipeline `index`'s task has its newest query on `cores`."""
    assert world.fleet is not None
    wanted = task_query(world.changed.get(index, 0))
    found = {name: (url, token) for name, url, token in world.fleet.tokens()}
    pending = set(cores)
    with httpx.Client(timeout=30) as client:

        def all_there() -> bool:
            for name in sorted(pending):
                url, token = found[name]
                answer = client.get(
                    f"{url}/api/v1/tasks/p{index}-filter",
                    headers={"Authorization": f"Bearer {token}"},
                )
                if answer.status_code == 200 and answer.json().get("query") == wanted:
                    pending.discard(name)
            return not pending

        wait_for(all_there, 900, f"p{index} on its Cores", every=0.02)
    return time.perf_counter() - started


def deployment_done(world: World, request_id: str, timeout: float = 3600) -> None:
    """Wait until the origin holds the run record of Deploy All `request_id`."""
    path = f"main:status/deployments/{request_id}.json"

    def recorded() -> bool:
        return git_ok(world.origin, "cat-file", "-e", path)

    wait_for(recorded, timeout, f"the record of {request_id}", every=0.5)


def git_ok(folder: Path, *args: str) -> bool:
    try:
        git(folder, *args)
    except Exception:
        return False
    return True


def log_offset(fleet: FleetProcess) -> int:
    return fleet.log_file.stat().st_size if fleet.log_file.exists() else 0


def writes_window(fleet: FleetProcess, offset: int) -> tuple[float, int]:
    """Seconds from the first to the last write the fleet logged after `offset`, and their count."""
    with open(fleet.log_file, "rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    stamps = [found.group(1) for found in map(_WRITE.match, text.splitlines()) if found]
    if not stamps:
        return 0.0, 0
    times = [datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") for stamp in stamps]
    return (max(times) - min(times)).total_seconds(), len(times)
