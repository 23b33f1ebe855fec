"""The PostgreSQL ledger: what the replicas of one SOURCE did, in a database they share.

Selected by `--ledger postgresql://USER@HOST:PORT/DB` (or `RECONCILER_LEDGER_URL`). The URL may
not hold a password: a start with one is refused (`ledger_url`), so it never lands in a shell
history, a process list or a log; the password comes from libpq's own mechanisms (PGPASSWORD,
PGPASSFILE or ~/.pgpass, client certificates). What it keeps, and each call being one committed
transaction, are the SQLite ledger's (`pgschema` holds the tables and their migrations, run when
the ledger opens). It keeps the `reconciler.shell.ledger.Ledger` contract on a psycopg 3 async
connection pool.

Fencing: once `fence(shard, epoch)` is set (by the replica that took the lease, see `pglease`),
every write first reads the lease's epoch in its own transaction (`FOR SHARE`, so a takeover
waits for it) and is refused with `Fenced` when the epoch moved on: a deposed replica's write
never lands, however late it comes. Which lease a write needs: with one shard, shard 0's for
every write. With `--shards N` (`route`), a write about one Core (intents, ownership,
deployments, cell errors) needs the lease of that Core's shard, and every other write (the
source's progress, trust, the runs) the report lease; a lease this replica never took counts
as epoch 0, which no lease has, so the write is refused. I/O module (PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from reconciler.decide import runcodec
from reconciler.decide.components import Key, OpKind
from reconciler.decide.outcomes import RequestState, Run
from reconciler.decide.records import CellError, Deployment, Records, Stage
from reconciler.decide.trust import CoreIdentity
from reconciler.errors import ConfigurationError, LeaseLost, ReconcilerError
from reconciler.shell.ledger import Call, Snapshot
from reconciler.shell.ledger.pgschema import migrate
from reconciler.shell.ledger.rows import TABLES, Decoded, run_problems, run_row, spec_json

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT = 10.0
IDLE_IN_TRANSACTION_MS = 5000
_LAST_PROCESSED = "last_processed_commit"
_LAST_VALID = "last_valid_commit"
_TRUSTED_SIGNERS = "trusted_signers"
_TRUSTED_CORES = "trusted_cores"
Connection = AsyncConnection[tuple[Any, ...]]
_CONNECTION: dict[str, Any] = {
    "connect_timeout": int(CONNECT_TIMEOUT),
    "application_name": "reconciler",
    "autocommit": False,
    # a replica frozen (SIGSTOP) inside a write must not hold the lease row's lock for ever:
    # the server ends such a transaction, and the takeover waits at most this long for it
    "options": f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}",
}


class Fenced(LeaseLost):
    """A write of a replica whose lease was taken over: refused, nothing of it stored."""


def is_postgres(url: str) -> bool:
    return url.startswith(SCHEMES)


def where(url: str) -> str:
    """The database a URL names, for messages: host, port and name, nothing else."""
    found = conninfo_to_dict(url)
    return f"{found.get('host', 'localhost')}:{found.get('port', 5432)}/{found.get('dbname', '')}"


def ledger_url(url: str, origin: str = "--ledger") -> str:
    """`url` checked: a PostgreSQL URL without a password; else one sentence naming `origin`."""
    if not is_postgres(url):
        raise ConfigurationError(f"{origin} must be a postgresql:// URL (SQLite is the default)")
    try:
        found = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ConfigurationError(f"{origin} is not a valid postgresql:// URL") from None
    if "password" in found:
        raise ConfigurationError(
            f"{origin} must not hold a password: give it in PGPASSWORD, PGPASSFILE or ~/.pgpass"
        )
    return url


def unreachable(url: str, error: Exception) -> ReconcilerError:
    """The one sentence of a database that cannot be reached (libpq's reason, never the URL's
    parameters)."""
    reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return ReconcilerError(f"the ledger database {where(url)} cannot be reached: {reason}")


class PostgresLedger:
    """One database; open with `await PostgresLedger.open(url)`, then `close()`."""

    def __init__(self, pool: AsyncConnectionPool[Connection], url: str) -> None:
        self._pool = pool
        self._decoded = Decoded()
        self.where = where(url)
        self._fences: dict[int, int] = {}
        self._home = 0
        self._shard_of: Callable[[str], int] = lambda _core: 0

    @classmethod
    async def open(cls, url: str, max_size: int = 4) -> PostgresLedger:
        """The ledger in the database at `url`, migrated to this binary's schema."""
        ledger_url(url)
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            timeout=CONNECT_TIMEOUT,
            kwargs=_CONNECTION,
            # a connection is checked as it is taken: after a database restart the first call
            # gets a new one instead of failing on a dead one
            check=AsyncConnectionPool.check_connection,
        )
        try:
            # one direct connection first: an unreachable database fails at once, with
            # libpq's reason (a pool would retry until its timeout)
            async with await AsyncConnection.connect(url, **_CONNECTION) as connection:
                await migrate(connection, where(url))
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except (psycopg.Error, TimeoutError) as error:
            await pool.close()
            raise unreachable(url, error) from None
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url)

    @staticmethod
    def where_of(url: str) -> str:
        return where(url)

    async def close(self) -> None:
        await self._pool.close()

    def fence(self, shard: int, epoch: int) -> None:
        """From now on every write that needs the lease of `shard` needs it still at `epoch`."""
        self._fences[shard] = epoch

    def route(self, shard_of: Callable[[str], int], home: int) -> None:
        """`--shards`: a write about a Core needs the lease `shard_of(core)`, any other `home`."""
        self._shard_of, self._home = shard_of, home

    def fenced(self, shard: int) -> AbstractAsyncContextManager[Connection]:
        """One write transaction that needs the lease of `shard` (`pgshards`)."""
        return self._write(shard=shard)

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows one read answers (`pgshards`)."""
        return await self._rows(sql, params)

    @asynccontextmanager
    async def _write(
        self, core: str | None = None, shard: int | None = None
    ) -> AsyncIterator[Connection]:
        """A write transaction, fenced by the lease it needs: `shard`'s, else the shard of
        `core`, else the home lease (see the module docstring)."""
        if shard is None:
            shard = self._home if core is None else self._shard_of(core)
        async with self._pool.connection() as db, db.transaction():
            if self._fences:
                epoch = self._fences.get(shard, 0)
                cursor = await db.execute(
                    "SELECT epoch FROM leases WHERE shard = %s FOR SHARE", (shard,)
                )
                row = await cursor.fetchone()
                if row is None or int(row[0]) != epoch:
                    raise Fenced(
                        f"the lease of shard {shard} moved on from epoch {epoch}: "
                        "this replica no longer writes to the ledger"
                    )
            yield db

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as db:
            cursor = await db.execute(sql.encode(), params)
            return await cursor.fetchall()

    # the source's progress -----------------------------------------------------------------

    async def last_processed(self) -> str | None:
        return await self._get(_LAST_PROCESSED)

    async def set_last_processed(self, commit: str) -> None:
        await self._put(_LAST_PROCESSED, commit)

    async def last_valid(self) -> str | None:
        return await self._get(_LAST_VALID)

    async def set_last_valid(self, revision: str) -> None:
        await self._put(_LAST_VALID, revision)

    async def trusted_signers(self) -> tuple[str, ...]:
        stored = await self._get(_TRUSTED_SIGNERS)
        return tuple(json.loads(stored)) if stored else ()

    async def set_trusted_signers(self, signers: Sequence[str]) -> None:
        await self._put(_TRUSTED_SIGNERS, json.dumps(list(signers)))

    async def trusted_cores(self) -> dict[str, CoreIdentity]:
        stored = await self._get(_TRUSTED_CORES)
        found = json.loads(stored) if stored else {}
        return {name: CoreIdentity.from_json(value) for name, value in found.items()}

    async def set_trusted_cores(self, cores: Mapping[str, CoreIdentity]) -> None:
        document = {name: identity.to_json() for name, identity in sorted(cores.items())}
        await self._put(_TRUSTED_CORES, json.dumps(document, sort_keys=True))

    async def _get(self, key: str) -> str | None:
        rows = await self._rows("SELECT value FROM meta WHERE key = %s", (key,))
        return str(rows[0][0]) if rows else None

    async def _put(self, key: str, value: str) -> None:
        async with self._write() as db:
            await db.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = %s",
                (key, value, value),
            )

    # what is on the Cores ------------------------------------------------------------------

    async def records(self) -> Records:
        async with self._pool.connection() as db, db.transaction():
            await db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return await _records(db, self._decoded)

    async def snapshot(self, recent: int = 20) -> Snapshot:
        async with self._pool.connection() as db, db.transaction():
            await db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            records = await _records(db, self._decoded)
            cursor = await db.execute(_RECENT, (recent,))
            runs = self._decoded.runs(row[0] for row in await cursor.fetchall())
            return Snapshot(records, tuple(runs))

    async def intend(self, core: str, calls: Sequence[Call], run_id: str) -> None:
        async with self._write(core) as db, db.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO intents VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(core, kind.value, name, op.value, run_id) for (kind, name), op in calls],
            )

    async def settle(
        self, core: str, done: Sequence[Call], unsent: Sequence[Key], run_id: str
    ) -> None:
        async with self._write(core) as db, db.cursor() as cursor:
            for (kind, name), op in done:
                row = (core, kind.value, name)
                await cursor.execute(_DISOWN if op is OpKind.DELETE else _OWN, row)
                await cursor.execute(_DONE, row)
            await cursor.executemany(
                _WITHDRAW, [(core, kind.value, name, run_id) for kind, name in unsent]
            )

    async def record_core(
        self, core: str, deployments: Sequence[Deployment], removed: Sequence[str]
    ) -> None:
        async with self._write(core) as db:
            for pipeline in removed:
                await db.execute(
                    "DELETE FROM deployments WHERE core = %s AND pipeline = %s", (core, pipeline)
                )
            for d in deployments:
                for spec in d.components:
                    await db.execute(_OWN, (core, spec.kind.value, spec.name))
                components = json.dumps([spec_json(s) for s in d.components], sort_keys=True)
                await db.execute(
                    "INSERT INTO deployments VALUES (%s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (core, pipeline) DO UPDATE SET revision = EXCLUDED.revision,"
                    " deployed_at = EXCLUDED.deployed_at, request_id = EXCLUDED.request_id,"
                    " components = EXCLUDED.components",
                    (
                        d.core,
                        d.pipeline,
                        d.revision,
                        d.deployed_at.isoformat(),
                        d.request_id,
                        components,
                    ),
                )
            for pipeline in [*removed, *(d.pipeline for d in deployments)]:
                await db.execute(_CLEAR_ERROR, (core, pipeline, Stage.DEPLOY.value))

    async def forget_core(self, core: str) -> None:
        async with self._write(core) as db:
            for table in ("owned", "deployments", "cell_errors", "intents"):
                await db.execute(f"DELETE FROM {table} WHERE core = %s".encode(), (core,))  # noqa: S608 (names from TABLES)

    async def set_error(self, error: CellError) -> None:
        async with self._write(error.core) as db:
            await db.execute(
                "INSERT INTO cell_errors VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (core, pipeline, stage) DO UPDATE SET reason = EXCLUDED.reason,"
                " message = EXCLUDED.message, at = EXCLUDED.at",
                (
                    error.core,
                    error.pipeline,
                    error.stage.value,
                    error.reason.value,
                    error.message,
                    error.at.isoformat(),
                ),
            )

    async def clear_error(self, core: str, pipeline: str, stage: Stage) -> None:
        async with self._write(core) as db:
            await db.execute(_CLEAR_ERROR, (core, pipeline, stage.value))

    # requests ------------------------------------------------------------------------------

    async def claim(self, run: Run) -> bool:
        async with self._write() as db:
            cursor = await db.execute(
                "INSERT INTO runs VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                run_row(run),
            )
            return cursor.rowcount == 1

    async def update(self, run: Run) -> None:
        async with self._write() as db:
            await db.execute(
                "UPDATE runs SET state = %s, document = %s WHERE id = %s",
                (run.state.value, runcodec.dumps(run), run.id),
            )

    async def run(self, run_id: str) -> Run | None:
        rows = await self._rows("SELECT document FROM runs WHERE id = %s", (run_id,))
        return runcodec.loads(rows[0][0]) if rows else None

    async def unfinished(self) -> list[Run]:
        states = (RequestState.CLAIMED.value, RequestState.RUNNING.value)
        rows = await self._rows(
            "SELECT document FROM runs WHERE state IN (%s, %s) ORDER BY requested_at, id", states
        )
        return [runcodec.loads(row[0]) for row in rows]

    async def recent(self, limit: int = 20) -> list[Run]:
        return self._decoded.runs(row[0] for row in await self._rows(_RECENT, (limit,)))

    async def integrity(self) -> list[str]:
        problems: list[str] = []
        for run_id, state, document in await self._rows("SELECT id, state, document FROM runs"):
            problems += run_problems(run_id, state, document)
        try:
            await self.records()
        except (ValueError, KeyError, TypeError) as error:
            problems.append(f"records cannot be read: {type(error).__name__}: {error}")
        return problems

    # moving a ledger -----------------------------------------------------------------------

    async def export_rows(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Every row of every table (`rows.TABLES`), table by table."""
        found: list[tuple[str, tuple[Any, ...]]] = []
        async with self._pool.connection() as db, db.transaction():
            await db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for table, columns in TABLES.items():
                cursor = await db.execute(
                    f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1, 2".encode()  # noqa: S608 (names from TABLES)
                )
                found += [(table, tuple(row)) for row in await cursor.fetchall()]
        return found

    async def import_rows(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Store exported rows into this ledger, which must be empty, in one transaction."""
        async with self._write() as db:
            for table in TABLES:
                cursor = await db.execute(f"SELECT 1 FROM {table} LIMIT 1".encode())  # noqa: S608 (names from TABLES)
                if await cursor.fetchone():
                    raise ConfigurationError(
                        f"the ledger database {self.where} is not empty (table {table}): "
                        "import only into a new ledger"
                    )
            for table, row in rows:
                marks = ", ".join(["%s"] * len(TABLES[table]))
                await db.execute(f"INSERT INTO {table} VALUES ({marks})".encode(), tuple(row))  # noqa: S608 (names from TABLES)


async def _records(db: Connection, decoded: Decoded) -> Records:
    async def rows(sql: str) -> list[tuple[Any, ...]]:
        cursor = await db.execute(sql.encode())
        return await cursor.fetchall()

    return decoded.records(
        await rows("SELECT core, kind, name FROM owned"),
        await rows("SELECT * FROM deployments"),
        await rows("SELECT * FROM cell_errors"),
        await rows("SELECT core, kind, name FROM intents"),
    )


_OWN = "INSERT INTO owned VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
_DISOWN = "DELETE FROM owned WHERE core = %s AND kind = %s AND name = %s"
_DONE = "DELETE FROM intents WHERE core = %s AND kind = %s AND name = %s"
_WITHDRAW = f"{_DONE} AND run_id = %s"
_CLEAR_ERROR = "DELETE FROM cell_errors WHERE core = %s AND pipeline = %s AND stage = %s"
_RECENT = "SELECT document FROM runs ORDER BY requested_at DESC, id DESC LIMIT %s"
