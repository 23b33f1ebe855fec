"""Repositories and fleets of any size for the benchmarks, made on the fly.

The repository: `pipelines` pipelines, each a file source, a processing task and a file sink
on two streams of its own, every pipeline assigned by label selector to `per_pipeline` Cores of
`cores` (Core `core-NNNN` carries `group: gK`, K = N // per_pipeline; pipeline i selects group
i % (cores // per_pipeline)). Objects are written ten pipelines to a file per kind (`grouped`),
or one object to a file (`one_per_object`). Core files point at a fleet (`fleet.json` from
`reconciler core serve-fleet`) by URL and token file, or at unused loopback ports.
`FleetProcess` runs such a fleet as a child process on free ports (`reconciler core serve-fleet`);
`marker` writes a Deploy All request.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
HEADER = "apiVersion: reconciler/v1\n"
PER_FILE = 10


@dataclass(frozen=True, slots=True)
class Shape:
    pipelines: int
    cores: int
    per_pipeline: int = 5
    one_per_object: bool = False

    @property
    def groups(self) -> int:
        return max(1, self.cores // self.per_pipeline)


def core_name(index: int) -> str:
    return f"core-{index:04d}"


def core_text(index: int, url: str, token_file: str, per_pipeline: int) -> str:
    return (
        f"{HEADER}kind: Core\nname: {core_name(index)}\nurl: {url}\n"
        f"token: {{file: {token_file}}}\nlabels: {{group: g{index // per_pipeline}, tier: edge}}\n"
    )


def objects(index: int, shape: Shape, revision: int = 0) -> dict[str, list[str]]:
    """One pipeline's documents by kind folder; `revision` changes its task's query."""
    name = f"p{index}"
    group = index % shape.groups
    return {
        "registry/streams": [
            f"{HEADER}kind: Stream\nname: {name}-raw\n",
            f"{HEADER}kind: Stream\nname: {name}-out\n",
        ],
        "registry/connectors": [
            f"{HEADER}kind: Connector\nname: {name}-in\ntype: source\nclass: file\n"
            f"stream: {name}-raw\nconfig: {{path: in/{name}.log}}\n",
            f"{HEADER}kind: Connector\nname: {name}-sink\ntype: sink\nclass: file\n"
            f"stream: {name}-out\nconfig: {{path: out/{name}.jsonl}}\n",
        ],
        "registry/tasks": [
            f"{HEADER}kind: Task\nname: {name}-filter\nmode: processing\n"
            f"source_stream: {name}-raw\nsink_streams: [{name}-out]\n"
            f"query: '{task_query(revision)}'\n",
        ],
        "registry/pipelines": [
            f"{HEADER}kind: Pipeline\nname: {name}\nsource: {name}-in\n"
            f"task_ids: [{name}-filter]\nsinks: [{name}-sink]\n",
        ],
        "assignments": [
            f"{HEADER}kind: Assignment\npipeline: {name}\nselector: {{group: g{group}}}\n"
        ],
    }


def files(
    shape: Shape, cores: list[tuple[str, str]], changed: dict[int, int] | None = None
) -> dict[str, str]:
    """Every file of the repository, by path; `cores` is (url, token file) per Core."""
    found = {"reconciler.yaml": f"{HEADER}kind: Settings\n"}
    for index, (url, token) in enumerate(cores):
        found[f"cores/{core_name(index)}.yaml"] = core_text(index, url, token, shape.per_pipeline)
    for first in range(0, shape.pipelines, PER_FILE):
        batch = range(first, min(first + PER_FILE, shape.pipelines))
        for index in batch:
            for folder, documents in objects(index, shape, (changed or {}).get(index, 0)).items():
                if shape.one_per_object:
                    for number, text in enumerate(documents):
                        found[f"{folder}/p{index}-{number}.yaml"] = text
                else:
                    path = f"{folder}/p{first}-{first + PER_FILE - 1}.yaml"
                    found[path] = found.get(path, "") + "".join(
                        f"---\n{text}" for text in documents
                    )
    return found


def write(folder: Path, texts: dict[str, str]) -> None:
    for path, text in texts.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def fleet_cores(manifest: Path) -> list[tuple[str, str]]:
    """(url, token file) of every Core of a running fleet."""
    return [(core["url"], core["token_file"]) for core in json.loads(manifest.read_text())]


def offline_cores(count: int) -> list[tuple[str, str]]:
    """Cores nobody serves (for parse-only scenarios): loopback ports that refuse at once."""
    return [
        (f"http://127.0.0.1:{9 + index % 3}", f"{core_name(index)}.token") for index in range(count)
    ]


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", *args]
    return subprocess.run(
        command, cwd=folder, check=True, capture_output=True, text=True
    ).stdout.strip()


def repository(folder: Path, texts: dict[str, str]) -> Path:
    """A committed Git repository on branch main holding `texts`, and a bare origin beside it."""
    folder.mkdir(parents=True)
    write(folder, texts)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "generated")
    origin = folder.parent / f"{folder.name}.git"
    git(folder.parent, "clone", "-q", "--bare", str(folder), str(origin))
    git(folder, "remote", "add", "origin", str(origin))
    return origin


def documents(texts: dict[str, str]) -> Iterator[str]:
    for text in texts.values():
        yield from (part for part in text.split("---\n") if part.strip())


def marker(request_id: str) -> tuple[str, str]:
    """The path and text of a Deploy All marker."""
    return f"deploy/{request_id}.yaml", f"{HEADER}kind: DeployAll\nreason: bench {request_id}\n"


def cores_of(index: int, shape: Shape) -> list[str]:
    """The Cores pipeline `index` is assigned to (those of its group)."""
    group = index % shape.groups
    return [core_name(n) for n in range(shape.cores) if n // shape.per_pipeline == group]


def task_query(revision: int) -> str:
    return f"status >= {500 + revision}"


def free_base_port(count: int, tries: int = 50) -> int:
    """A port P such that P … P+count-1 are free on loopback now."""
    for _ in range(tries):
        base = random.randrange(20000, 60000 - count)  # noqa: S311 (a port, not a secret)
        if all(_free(base + offset) for offset in range(count)):
            return base
    raise RuntimeError(f"found no {count} free consecutive loopback ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class FleetProcess:
    """`reconciler core serve-fleet --in-memory` as a child process; `access_log` logs requests."""

    folder: Path
    count: int
    access_log: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def manifest(self) -> Path:
        return self.folder / "fleet.json"

    @property
    def log_file(self) -> Path:
        return self.folder / "fleet.log"

    def start(self, timeout: float = 120) -> FleetProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        level = "info" if self.access_log else "warning"
        base = free_base_port(self.count)
        command = [
            *(sys.executable, "-m", "reconciler", "core", "serve-fleet"),
            *("--count", str(self.count), "--base-port", str(base)),
            *("--data-dir", str(self.folder), "--in-memory", "--log-level", level),
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=HERE
            )
        deadline = time.monotonic() + timeout
        while not self.manifest.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the fleet did not start: {self.log_file.read_text()[-2000:]}")
            time.sleep(0.05)
        return self

    def cores(self) -> list[tuple[str, str]]:
        return fleet_cores(self.manifest)

    def tokens(self) -> list[tuple[str, str, str]]:
        """(name, url, token) of every Core."""
        listed = json.loads(self.manifest.read_text())
        return [(c["name"], c["url"], Path(c["token_file"]).read_text().strip()) for c in listed]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
