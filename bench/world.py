"""A benchmark's world: a generated repository (bare origin and a person's clone), a fleet, a state.

    world = World.create(root / "big", Shape(10_000, 500), fleet=FleetProcess(...).start())
    world.reconciler("validate", str(world.work))     # a Child: seconds, CPU, peak RSS
    world.converge()                                  # baseline pass, Deploy All, pass
    world.change(7); world.push("change p7")          # one task's query, one file

Every command runs the installed console script as a child process, the way a person would,
with Core tokens allowed from the world's folder only. I/O module (files, Git, processes).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import (
    FleetProcess,
    Shape,
    files,
    git,
    marker,
    offline_cores,
    repository,
    write,
)
from bench.measure import Child, run_child
from tests.support.daemon import DaemonProcess

HERE = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(sys.executable).parent / "reconciler")


@dataclass
class World:
    root: Path
    shape: Shape
    fleet: FleetProcess | None
    texts: dict[str, str]
    origin: Path
    changed: dict[int, int] = field(default_factory=dict)
    markers: int = 0
    pushed_at: float = 0.0
    """perf_counter() just before the last `git push` began."""

    @classmethod
    def create(cls, root: Path, shape: Shape, fleet: FleetProcess | None = None) -> World:
        cores = fleet.cores() if fleet is not None else offline_cores(shape.cores)
        texts = files(shape, cores)
        origin = repository(root / "work", texts)
        return cls(root, shape, fleet, texts, origin)

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def env(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "TMPDIR")
        found = {k: v for k, v in os.environ.items() if k in keep}
        found["RECONCILER_TOKEN_DIRS"] = str(self.root.parent.resolve())
        return found

    def reconciler(self, *args: str, check: bool = True) -> Child:
        done = run_child([SCRIPT, *args], self.env(), cwd=self.root)
        if check and done.returncode != 0:
            command = " ".join(args)
            raise RuntimeError(
                f"reconciler {command} exited {done.returncode}: {done.stderr[-3000:]}"
            )
        return done

    def floor(self, verb: str, *args: str) -> dict[str, float]:
        """A floor of `bench.floor` as a child: its own figures, with `wall` and `peak` RSS."""
        done = run_child([sys.executable, "-m", "bench.floor", verb, *args], self.env(), cwd=HERE)
        if done.returncode != 0:
            raise RuntimeError(f"bench.floor {verb} failed: {done.stderr[-2000:]}")
        found: dict[str, float] = json.loads(done.stdout)
        found["wall"] = done.seconds
        found["peak"] = done.rss_mib
        return found

    def once(self) -> Child:
        return self.reconciler("once", "--repo", str(self.origin), "--state-dir", str(self.state))

    # --- the person's side ---------------------------------------------------------------------

    def change(self, index: int) -> None:
        """Change pipeline `index`'s task query (one file) in the clone."""
        self.changed[index] = self.changed.get(index, 0) + 1
        texts = files(self.shape, self._cores(), self.changed)
        write(self.work, {p: t for p, t in texts.items() if self.texts.get(p) != t})
        self.texts = texts

    def add_marker(self) -> str:
        """A new Deploy All marker in the clone; returns its id."""
        self.markers += 1
        request_id = f"bench-{self.markers}"
        write(self.work, dict([marker(request_id)]))
        return request_id

    def push(self, message: str) -> str:
        """Commit what the clone holds and push it to the origin; returns the commit."""
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        self.pull()
        commit = git(self.work, "rev-parse", "HEAD")
        self.pushed_at = time.perf_counter()
        git(self.work, "push", "-q", "origin", "HEAD:main")
        return commit

    def pull(self) -> None:
        git(self.work, "pull", "-q", "--rebase", "origin", "main")

    def head(self) -> str:
        """The origin's head, read from its ref file (cheap enough to poll)."""
        ref = self.origin / "refs" / "heads" / "main"
        if ref.exists():
            text = ref.read_text().strip()
            if text:
                return text
        return git(self.origin, "rev-parse", "main")

    def converge(self) -> Child:
        """A baseline pass, then a Deploy All of everything; returns the deploying `once`."""
        self.once()
        self.add_marker()
        self.push("deploy all")
        deployed = self.once()
        self.pull()
        return deployed

    def daemon(self, *args: str) -> DaemonProcess:
        daemon = DaemonProcess.create(self.root / "daemon", str(self.origin), self.state, args)
        daemon.env = self.env()
        return daemon

    def _cores(self) -> list[tuple[str, str]]:
        if self.fleet is not None:
            return self.fleet.cores()
        return offline_cores(self.shape.cores)
