"""Repositories and fleets of any size for the benchmarks, made on the fly.

The repository: `pipelines` pipelines, each a file source, a processing task and a file sink
on two streams of its own, every pipeline assigned by label selector to `per_pipeline` Cores of
`cores` (Core `core-NNNN` carries `group: gK`, K = N // per_pipeline; pipeline i selects group
i % (cores // per_pipeline)). Objects are written ten pipelines to a file per kind (`grouped`),
or one object to a file (`one_per_object`). Core files point at a fleet (`fleet.json` from
`reconciler core serve-fleet`) by URL and token file, or at unused loopback ports.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
            f"query: 'status >= {500 + revision}'\n",
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
