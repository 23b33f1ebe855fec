"""The Core's registry: the stored component specs, persisted one JSON file per kind.

Files live in the data directory as `streams.json`, `connectors.json`, `tasks.json` and
`queries.json`, each a JSON list of bodies (the spec plus `created_at`/`updated_at`), sorted by
name. Every change rewrites that kind's file atomically: a temporary file in the same folder is
written, flushed and fsynced, renamed over the old one, and the folder is fsynced, so a crash at
any point leaves either the old file or the new one. Runtime state is never persisted: after a
restart every component is `stopped`.

I/O module (the data directory).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.refcore.errors import ApiError
from reconciler.refcore.specs import Kind, Spec, normalize


class RegistryFileError(Exception):
    """A registry file that cannot be read back; the Core refuses to start on it."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored component."""

    spec: Spec
    created_at: str
    updated_at: str

    @property
    def name(self) -> str:
        name: str = self.spec["name"]
        return name

    def stored(self) -> dict[str, Any]:
        return {**self.spec, "created_at": self.created_at, "updated_at": self.updated_at}


class Registry:
    """Every kind's records, in memory and on disk."""

    def __init__(self, data_dir: Path, persist: bool = True) -> None:
        self.data_dir = data_dir
        self.persist = persist
        """False keeps the registry in memory only (a rehearsal fleet); True writes every change."""
        self._records: dict[Kind, dict[str, Record]] = {kind: {} for kind in Kind}

    @classmethod
    def load(cls, data_dir: Path, persist: bool = True) -> Registry:
        registry = cls(data_dir, persist)
        for kind in Kind:
            for record in _read(registry.path(kind), kind):
                registry._records[kind][record.name] = record
        return registry

    def path(self, kind: Kind) -> Path:
        return self.data_dir / f"{kind.value}.json"

    def get(self, kind: Kind, name: str) -> Record | None:
        return self._records[kind].get(name)

    def records(self, kind: Kind) -> list[Record]:
        return [self._records[kind][name] for name in sorted(self._records[kind])]

    def put(self, kind: Kind, record: Record) -> None:
        self._records[kind][record.name] = record
        self._save(kind)

    def delete(self, kind: Kind, name: str) -> None:
        del self._records[kind][name]
        self._save(kind)

    def users_of_stream(self, stream: str) -> Iterator[str]:
        """`kind/name` of every connector or task that reads or writes `stream`."""
        for record in self.records(Kind.CONNECTOR):
            if record.spec["stream"] == stream:
                yield f"connector {record.name!r}"
        for record in self.records(Kind.TASK):
            if stream == record.spec["source_stream"] or stream in record.spec["sink_streams"]:
                yield f"task {record.name!r}"

    def users_of_query(self, query: str) -> Iterator[str]:
        for record in self.records(Kind.TASK):
            if query in record.spec.get("query_ids", ()):
                yield f"task {record.name!r}"

    def _save(self, kind: Kind) -> None:
        if not self.persist:
            return
        bodies = [record.stored() for record in self.records(kind)]
        write_atomically(self.path(kind), json.dumps(bodies, indent=2, sort_keys=True) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash leaves the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _read(path: Path, kind: Kind) -> list[Record]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RegistryFileError(f"registry file {path} cannot be read: {error}") from error
    if not isinstance(loaded, list):
        raise RegistryFileError(f"registry file {path} must hold a JSON list")
    return [_record(path, kind, body) for body in loaded]


def _record(path: Path, kind: Kind, body: Any) -> Record:
    try:
        spec = normalize(kind, body)
    except ApiError as error:
        raise RegistryFileError(f"registry file {path} holds an invalid entry: {error}") from error
    created = body.get("created_at")
    updated = body.get("updated_at", created)
    if not isinstance(created, str) or not isinstance(updated, str):
        raise RegistryFileError(f"registry file {path}: {spec['name']!r} lacks its timestamps")
    return Record(spec, created, updated)
