"""The ledger: what this reconciler did, in SQLite in the state directory (SPEC §7).

It holds the deployed specs per (Core, pipeline), the components owned per Core, the last deploy
and start errors per cell, every request with its state and per-Core outcomes, the last processed
and last valid commits. Each write is its own transaction in
WAL mode with full sync, so a crash at any point loses nothing that was recorded: an operation
on a Core is recorded right after it succeeds, and a request is recorded before it runs.

Calls are synchronous and short (milliseconds); the daemon makes them from its event loop.
I/O module (SQLite).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.decide import runcodec
from reconciler.decide.model import ComponentKind
from reconciler.decide.outcomes import RequestState, Run
from reconciler.decide.records import CellError, Deployment, Key, Records, Stage
from reconciler.decide.resolve import ComponentSpec

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS owned (
    core TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (core, kind, name));
CREATE TABLE IF NOT EXISTS deployments (
    core TEXT NOT NULL, pipeline TEXT NOT NULL, revision TEXT NOT NULL, deployed_at TEXT NOT NULL,
    request_id TEXT NOT NULL, components TEXT NOT NULL, PRIMARY KEY (core, pipeline));
CREATE TABLE IF NOT EXISTS cell_errors (
    core TEXT NOT NULL, pipeline TEXT NOT NULL, stage TEXT NOT NULL, reason TEXT NOT NULL,
    message TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (core, pipeline, stage));
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, commit_sha TEXT NOT NULL,
    requested_at TEXT NOT NULL, document TEXT NOT NULL);
"""
LAST_PROCESSED = "last_processed_commit"
LAST_VALID = "last_valid_commit"
TRUSTED_SIGNERS = "trusted_signers"


class Ledger:
    """One SQLite database; open with `Ledger.open(state_dir)` and close when done."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, state_dir: Path) -> Ledger:
        state_dir.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(state_dir / "ledger.sqlite3", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=10000")
        connection.executescript(SCHEMA)
        return cls(connection)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # meta -----------------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        found = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(found[0]) if found else None

    def put(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # records --------------------------------------------------------------------------------

    def records(self) -> Records:
        """Everything the pure core needs to know about what this reconciler did."""
        owned: dict[str, set[Key]] = {}
        for core, kind, name in self._db.execute("SELECT core, kind, name FROM owned"):
            owned.setdefault(core, set()).add((ComponentKind(kind), name))
        deployments = {
            (d.core, d.pipeline): d
            for d in map(_deployment, self._db.execute("SELECT * FROM deployments"))
        }
        errors = {
            (e.core, e.pipeline, e.stage): e
            for e in map(_cell_error, self._db.execute("SELECT * FROM cell_errors"))
        }
        return Records(
            deployments=deployments,
            owned={core: frozenset(keys) for core, keys in owned.items()},
            errors=errors,
        )

    def own(self, core: str, key: Key) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO owned VALUES (?, ?, ?)", (core, key[0].value, key[1]))

    def disown(self, core: str, key: Key) -> None:
        with self._write() as db:
            db.execute(
                "DELETE FROM owned WHERE core = ? AND kind = ? AND name = ?",
                (core, key[0].value, key[1]),
            )

    def record_core(self, core: str, deployments: list[Deployment], removed: list[str]) -> None:
        """After a Core's plan is applied: its deployments now, and the pipelines gone from it."""
        with self._write() as db:
            for pipeline in removed:
                db.execute(
                    "DELETE FROM deployments WHERE core = ? AND pipeline = ?", (core, pipeline)
                )
            for d in deployments:
                db.execute(
                    "INSERT OR REPLACE INTO deployments VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        d.core,
                        d.pipeline,
                        d.revision,
                        d.deployed_at.isoformat(),
                        d.request_id,
                        json.dumps([_spec_json(s) for s in d.components], sort_keys=True),
                    ),
                )
            for pipeline in [*removed, *(d.pipeline for d in deployments)]:
                db.execute(
                    "DELETE FROM cell_errors WHERE core = ? AND pipeline = ? AND stage = ?",
                    (core, pipeline, Stage.DEPLOY.value),
                )

    def forget_core(self, core: str) -> None:
        """Drop everything about a Core that is no longer declared (the Core is not touched)."""
        with self._write() as db:
            for table in ("owned", "deployments", "cell_errors"):
                db.execute(f"DELETE FROM {table} WHERE core = ?", (core,))  # noqa: S608

    def set_error(self, error: CellError) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO cell_errors VALUES (?, ?, ?, ?, ?, ?)",
                (
                    error.core,
                    error.pipeline,
                    error.stage.value,
                    error.reason,
                    error.message,
                    error.at.isoformat(),
                ),
            )

    def clear_error(self, core: str, pipeline: str, stage: Stage) -> None:
        with self._write() as db:
            db.execute(
                "DELETE FROM cell_errors WHERE core = ? AND pipeline = ? AND stage = ?",
                (core, pipeline, stage.value),
            )

    # runs -----------------------------------------------------------------------------------

    def claim(self, run: Run) -> bool:
        """Record a request before it runs; False when its id is already recorded."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run.id,
                    run.kind.value,
                    run.state.value,
                    run.commit,
                    run.requested_at.isoformat(),
                    runcodec.dumps(run),
                ),
            )
            return cursor.rowcount == 1

    def update(self, run: Run) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = ?, document = ? WHERE id = ?",
                (run.state.value, runcodec.dumps(run), run.id),
            )

    def run(self, run_id: str) -> Run | None:
        found = self._db.execute("SELECT document FROM runs WHERE id = ?", (run_id,)).fetchone()
        return runcodec.loads(found[0]) if found else None

    def unfinished(self) -> list[Run]:
        """Requests recorded as claimed or running: a run killed half way, to resume."""
        states = (RequestState.CLAIMED.value, RequestState.RUNNING.value)
        rows = self._db.execute(
            "SELECT document FROM runs WHERE state IN (?, ?) ORDER BY requested_at, id", states
        )
        return [runcodec.loads(row[0]) for row in rows]

    def recent(self, limit: int = 20) -> list[Run]:
        rows = self._db.execute(
            "SELECT document FROM runs ORDER BY requested_at DESC, id DESC LIMIT ?", (limit,)
        )
        return [runcodec.loads(row[0]) for row in rows]

    def finish(self, run: Run, state: RequestState, at: datetime, note: str | None = None) -> Run:
        done = replace(run, state=state, finished_at=at, note=note or run.note)
        self.update(done)
        return done


def _spec_json(spec: ComponentSpec) -> dict[str, Any]:
    return {"kind": spec.kind.value, "name": spec.name, "body": spec.body}


def _deployment(row: tuple[Any, ...]) -> Deployment:
    core, pipeline, revision, deployed_at, request_id, components = row
    specs = tuple(
        ComponentSpec(ComponentKind(c["kind"]), c["name"], c["body"])
        for c in json.loads(components)
    )
    return Deployment(
        core, pipeline, specs, revision, datetime.fromisoformat(deployed_at), request_id
    )


def _cell_error(row: tuple[Any, ...]) -> CellError:
    core, pipeline, stage, reason, message, at = row
    return CellError(core, pipeline, Stage(stage), reason, message, datetime.fromisoformat(at))
