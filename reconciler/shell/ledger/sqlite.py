"""The embedded ledger: what this reconciler did, in one SQLite file in the state directory.

It holds the deployed specs per (Core, pipeline), the components owned per Core, the last deploy
and start errors per cell, every request with its state and per-Core outcomes, and the source's
progress (last processed and last valid commits, the allowed signers in force). Each write is
its own transaction in WAL mode with full sync, so a crash at any point loses nothing that was
recorded, with one exception that costs nothing: the record that a Core's calls succeeded
(`settle`) does not wait for the disk. A crash of the process still loses none of it (the WAL
is written before the call returns); a crash of the machine may lose the successes since the
last synced write, and each of them then still has its intent, which was synced before its
call went out, so the next pass treats that call as one whose answer was lost (it reads the
component back), as after any interrupted run. The next synced write makes them durable too.
The state directory is made 0700, and the database and its journal files 0600, when
they are opened (see `permissions`). It keeps the `reconciler.shell.ledger.Ledger` contract:
every method is a coroutine that runs its SQL on the ledger's own worker thread, which owns the
connection.

I/O module (SQLite).
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from reconciler.decide import runcodec
from reconciler.decide.components import Key, OpKind
from reconciler.decide.outcomes import RequestState, Run
from reconciler.decide.records import CellError, Deployment, Records, Stage
from reconciler.decide.trust import CoreIdentity
from reconciler.errors import ConfigurationError
from reconciler.shell.ledger import Call, Snapshot
from reconciler.shell.ledger.rows import (
    TABLES,
    Decoded,
    records_of,
    run_problems,
    run_row,
    spec_json,
)
from reconciler.shell.ledger.sqlschema import FILE_NAME, RECORD_TABLES, connect

_LAST_PROCESSED = "last_processed_commit"
_LAST_VALID = "last_valid_commit"
_TRUSTED_SIGNERS = "trusted_signers"
_TRUSTED_CORES = "trusted_cores"

P = ParamSpec("P")
T = TypeVar("T")


def _on_worker(
    method: Callable[Concatenate[SqliteLedger, P], T],
) -> Callable[Concatenate[SqliteLedger, P], Coroutine[Any, Any, T]]:
    """Run a method's SQL on the ledger's worker thread and await it there."""

    async def call(ledger: SqliteLedger, /, *args: P.args, **kwargs: P.kwargs) -> T:
        work = functools.partial(method, ledger, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(ledger._worker, work)

    call.__doc__ = method.__doc__
    return call


class SqliteLedger:
    """One SQLite database; open with `await SqliteLedger.open(state_dir)`, then `close()`."""

    def __init__(self, connection: sqlite3.Connection, worker: ThreadPoolExecutor) -> None:
        self._db = connection
        self._worker = worker
        self._decoded = Decoded()
        self._read: tuple[int, Records] | None = None
        """The records last read, with the `generation` they were read at."""

    @classmethod
    async def open(cls, state_dir: Path, create: bool = True) -> SqliteLedger:
        """The ledger in `state_dir`; with `create=False` one that must exist already (a
        command reading the daemon's ledger never makes an empty one of a mistyped path)."""
        if not create and not (state_dir / FILE_NAME).is_file():
            raise ConfigurationError(
                f"--state-dir {state_dir} holds no reconciler ledger ({FILE_NAME}); "
                "`reconciler run` and `reconciler once` make one"
            )
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        loop = asyncio.get_running_loop()
        connection = await loop.run_in_executor(worker, connect, state_dir)
        return cls(connection, worker)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._worker, self._db.close)
        self._worker.shutdown(wait=True)

    @contextmanager
    def _write(self, synced: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; `synced=False` commits it without waiting for the disk."""
        if not synced:
            self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if not synced:
                self._db.execute("PRAGMA synchronous=FULL")

    # the source's progress -----------------------------------------------------------------

    @_on_worker
    def last_processed(self) -> str | None:
        return self._get(_LAST_PROCESSED)

    @_on_worker
    def set_last_processed(self, commit: str) -> None:
        self._put(_LAST_PROCESSED, commit)

    @_on_worker
    def last_valid(self) -> str | None:
        return self._get(_LAST_VALID)

    @_on_worker
    def set_last_valid(self, revision: str) -> None:
        self._put(_LAST_VALID, revision)

    @_on_worker
    def trusted_signers(self) -> tuple[str, ...]:
        stored = self._get(_TRUSTED_SIGNERS)
        return tuple(json.loads(stored)) if stored else ()

    @_on_worker
    def set_trusted_signers(self, signers: Sequence[str]) -> None:
        self._put(_TRUSTED_SIGNERS, json.dumps(list(signers)))

    @_on_worker
    def trusted_cores(self) -> dict[str, CoreIdentity]:
        stored = self._get(_TRUSTED_CORES)
        found = json.loads(stored) if stored else {}
        return {name: CoreIdentity.from_json(value) for name, value in found.items()}

    @_on_worker
    def set_trusted_cores(self, cores: Mapping[str, CoreIdentity]) -> None:
        document = {name: identity.to_json() for name, identity in sorted(cores.items())}
        self._put(_TRUSTED_CORES, json.dumps(document, sort_keys=True))

    def _get(self, key: str) -> str | None:
        found = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(found[0]) if found else None

    def _put(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # what is on the Cores ------------------------------------------------------------------

    @_on_worker
    def records(self) -> Records:
        self._db.execute("BEGIN")
        try:
            return self._records()
        finally:
            self._db.execute("COMMIT")

    @_on_worker
    def snapshot(self, recent: int = 20) -> Snapshot:
        self._db.execute("BEGIN")
        try:
            return Snapshot(self._records(), tuple(self._recent(recent)))
        finally:
            self._db.execute("COMMIT")

    def _records(self) -> Records:
        """The records, read again only when a record table changed since the last read (call
        inside a read transaction, so that the count and the rows agree)."""
        (generation,) = self._db.execute("SELECT value FROM generation").fetchone()
        if self._read is not None and self._read[0] == generation:
            return self._read[1]
        records = self._decoded.records(*self._record_rows())
        self._read = (generation, records)
        return records

    def _record_rows(self) -> tuple[Iterable[tuple[Any, ...]], ...]:
        return (
            self._db.execute("SELECT core, kind, name FROM owned"),
            self._db.execute("SELECT * FROM deployments"),
            self._db.execute("SELECT * FROM cell_errors"),
            self._db.execute("SELECT core, kind, name FROM intents"),
        )

    @_on_worker
    def intend(self, core: str, calls: Sequence[Call], run_id: str) -> None:
        with self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO intents VALUES (?, ?, ?, ?, ?)",
                [(core, kind.value, name, op.value, run_id) for (kind, name), op in calls],
            )

    @_on_worker
    def settle(self, core: str, done: Sequence[Call], unsent: Sequence[Key], run_id: str) -> None:
        with self._write(synced=False) as db:
            for (kind, name), op in done:
                row = (core, kind.value, name)
                if op is OpKind.DELETE:
                    db.execute("DELETE FROM owned WHERE core = ? AND kind = ? AND name = ?", row)
                else:
                    db.execute("INSERT OR IGNORE INTO owned VALUES (?, ?, ?)", row)
                db.execute("DELETE FROM intents WHERE core = ? AND kind = ? AND name = ?", row)
            db.executemany(
                "DELETE FROM intents WHERE core = ? AND kind = ? AND name = ? AND run_id = ?",
                [(core, kind.value, name, run_id) for kind, name in unsent],
            )

    @_on_worker
    def record_core(
        self, core: str, deployments: Sequence[Deployment], removed: Sequence[str]
    ) -> None:
        with self._write() as db:
            for pipeline in removed:
                db.execute(
                    "DELETE FROM deployments WHERE core = ? AND pipeline = ?", (core, pipeline)
                )
            for d in deployments:
                for spec in d.components:
                    db.execute(
                        "INSERT OR IGNORE INTO owned VALUES (?, ?, ?)",
                        (core, spec.kind.value, spec.name),
                    )
                db.execute(
                    "INSERT OR REPLACE INTO deployments VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        d.core,
                        d.pipeline,
                        d.revision,
                        d.deployed_at.isoformat(),
                        d.request_id,
                        json.dumps([spec_json(s) for s in d.components], sort_keys=True),
                    ),
                )
            for pipeline in [*removed, *(d.pipeline for d in deployments)]:
                db.execute(
                    "DELETE FROM cell_errors WHERE core = ? AND pipeline = ? AND stage = ?",
                    (core, pipeline, Stage.DEPLOY.value),
                )

    @_on_worker
    def forget_core(self, core: str) -> None:
        with self._write() as db:
            for table in RECORD_TABLES:
                db.execute(f"DELETE FROM {table} WHERE core = ?", (core,))  # noqa: S608

    @_on_worker
    def set_error(self, error: CellError) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO cell_errors VALUES (?, ?, ?, ?, ?, ?)",
                (
                    error.core,
                    error.pipeline,
                    error.stage.value,
                    error.reason.value,
                    error.message,
                    error.at.isoformat(),
                ),
            )

    @_on_worker
    def clear_error(self, core: str, pipeline: str, stage: Stage) -> None:
        with self._write() as db:
            db.execute(
                "DELETE FROM cell_errors WHERE core = ? AND pipeline = ? AND stage = ?",
                (core, pipeline, stage.value),
            )

    # requests ------------------------------------------------------------------------------

    @_on_worker
    def claim(self, run: Run) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                run_row(run),
            )
            return cursor.rowcount == 1

    @_on_worker
    def update(self, run: Run) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = ?, document = ? WHERE id = ?",
                (run.state.value, runcodec.dumps(run), run.id),
            )

    @_on_worker
    def run(self, run_id: str) -> Run | None:
        found = self._db.execute("SELECT document FROM runs WHERE id = ?", (run_id,)).fetchone()
        return runcodec.loads(found[0]) if found else None

    @_on_worker
    def unfinished(self) -> list[Run]:
        states = (RequestState.CLAIMED.value, RequestState.RUNNING.value)
        rows = self._db.execute(
            "SELECT document FROM runs WHERE state IN (?, ?) ORDER BY requested_at, id", states
        )
        return [runcodec.loads(row[0]) for row in rows]

    @_on_worker
    def recent(self, limit: int = 20) -> list[Run]:
        return self._recent(limit)

    @_on_worker
    def integrity(self) -> list[str]:
        problems = [
            f"sqlite: {row[0]}"
            for row in self._db.execute("PRAGMA integrity_check")
            if row[0] != "ok"
        ]
        for run_id, state, document in self._db.execute("SELECT id, state, document FROM runs"):
            problems += run_problems(run_id, state, document)
        try:
            records_of(*self._record_rows())
        except (ValueError, KeyError, TypeError) as error:
            problems.append(f"records cannot be read: {type(error).__name__}: {error}")
        return problems

    # moving a ledger -----------------------------------------------------------------------

    @_on_worker
    def export_rows(self) -> list[tuple[str, tuple[Any, ...]]]:
        found: list[tuple[str, tuple[Any, ...]]] = []
        self._db.execute("BEGIN")
        try:
            for table, columns in TABLES.items():
                query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1, 2"  # noqa: S608
                found += [(table, tuple(row)) for row in self._db.execute(query)]
        finally:
            self._db.execute("COMMIT")
        return found

    @_on_worker
    def import_rows(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        with self._write() as db:
            for table in TABLES:
                if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():  # noqa: S608
                    raise ConfigurationError(
                        f"the ledger {FILE_NAME} is not empty (table {table}): "
                        "import only into a new ledger"
                    )
            for table, row in rows:
                marks = ", ".join(["?"] * len(TABLES[table]))
                db.execute(f"INSERT INTO {table} VALUES ({marks})", tuple(row))  # noqa: S608

    def _recent(self, limit: int) -> list[Run]:
        rows = self._db.execute(
            "SELECT document FROM runs ORDER BY requested_at DESC, id DESC LIMIT ?", (limit,)
        )
        return self._decoded.runs(row[0] for row in rows)
