"""Parsing and validating a large repository, two choices measured side by side.

1. libyaml's C loader against PyYAML's pure-Python loader (the reconciler uses the C loader
   whenever PyYAML has it);
2. JSON Schemas with their cross-file `$ref`s inlined once at load (what the reconciler does)
   against resolving them through a `referencing` registry at every validation.

Run: `python -m bench.bench_parse [PIPELINES] [CORES]` (default 1000 pipelines, 50 Cores: 5050
files). Each variant parses the same files in the same process, best of three.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from bench.synthetic import repository
from reconciler.decide.declared import documents, schemas
from reconciler.decide.declared.parse import RepoFile, parse_repository
from reconciler.resources import data_path


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


class PurePythonLoader(yaml.SafeLoader):
    """The same loader as the reconciler's, built on PyYAML's pure-Python parser."""


PurePythonLoader.yaml_implicit_resolvers = documents._Loader.yaml_implicit_resolvers


@contextmanager
def replaced(module: Any, name: str, value: Any) -> Iterator[None]:
    chosen = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, chosen)


def registry_validator(name: str) -> Draft202012Validator:
    """A validator resolving `$ref`s through a registry at validation time (the alternative)."""
    folder = data_path("schemas")
    loaded = [json.loads(path.read_text()) for path in folder.glob("*.schema.json")]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in loaded
    )
    return Draft202012Validator(schemas.schema_for(name), registry=registry)


def timed(files: list[RepoFile]) -> float:
    return best_of(3, lambda: parse_repository(files))


def main(pipelines: int = 1000, cores: int = 50) -> None:
    files = repository(pipelines, cores)
    size = sum(len(f.data) for f in files)
    kib = size // 1024
    print(f"repository: {len(files)} files, {kib} KiB, {pipelines} pipelines, {cores} Cores\n")
    chosen = timed(files)
    with replaced(documents, "_Loader", PurePythonLoader):
        pure = timed(files)
    validators = {name: registry_validator(name) for name in set(schemas._SCHEMA_FILES.values())}
    with replaced(schemas, "validator_for", validators.__getitem__):
        registry = timed(files)
    print(f"as shipped (C loader, inlined schemas): {chosen:7.3f} s")
    print(f"pure-Python YAML loader:                {pure:7.3f} s   ratio {pure / chosen:5.2f}x")
    slower = registry / chosen
    print(f"schema references resolved each time:   {registry:7.3f} s   ratio {slower:5.2f}x")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
