"""The PostgreSQL ledger's schema: versioned migrations the daemon applies when it opens one.

`MIGRATIONS[n]` takes a database from version n to n + 1; the version is the single row of
`schema_version`. `migrate` runs them in one transaction under an advisory lock, so two replicas
starting together migrate once, and refuses a database whose version is newer than this
binary's (a newer reconciler migrated it: running an older one on it could lose what it keeps).
The tables hold what the SQLite ledger's do, column for column (`TABLES`), which is what
`reconciler ledger export|import` moves between them (`rows.TABLES`), plus what replicas
coordinate with: `leases` (`pglease`) and the tables of `--shards` (`pgshards`).
I/O module (PostgreSQL).
"""

from __future__ import annotations

from psycopg import AsyncConnection

from reconciler.errors import ConfigurationError

MIGRATION_LOCK = 0x5245434F  # "RECO": the advisory lock key of migrations
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE owned (
        core TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (core, kind, name));
    CREATE TABLE deployments (
        core TEXT NOT NULL, pipeline TEXT NOT NULL, revision TEXT NOT NULL,
        deployed_at TEXT NOT NULL, request_id TEXT NOT NULL, components TEXT NOT NULL,
        PRIMARY KEY (core, pipeline));
    CREATE TABLE cell_errors (
        core TEXT NOT NULL, pipeline TEXT NOT NULL, stage TEXT NOT NULL, reason TEXT NOT NULL,
        message TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (core, pipeline, stage));
    CREATE TABLE intents (
        core TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, op TEXT NOT NULL,
        run_id TEXT NOT NULL, PRIMARY KEY (core, kind, name));
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, commit_sha TEXT NOT NULL,
        requested_at TEXT NOT NULL, document TEXT NOT NULL);
    CREATE INDEX runs_by_request ON runs (requested_at, id);
    """,
    """
    CREATE TABLE leases (
        shard INTEGER PRIMARY KEY, epoch BIGINT NOT NULL, holder TEXT NOT NULL,
        backend_pid INTEGER NOT NULL, renewed_at TIMESTAMPTZ NOT NULL);
    """,
    # --shards N (`pgshards`): what the replicas agree on, who is alive, what each shard saw
    # and what each shard did of a run; coordination between replicas, not records, so
    # `reconciler ledger export` leaves them out
    """
    CREATE TABLE shard_count (
        one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), shards INTEGER NOT NULL);
    CREATE TABLE replicas (
        holder TEXT PRIMARY KEY, seen_at TIMESTAMPTZ NOT NULL, shards TEXT NOT NULL);
    CREATE TABLE shard_observations (
        core TEXT PRIMARY KEY, shard INTEGER NOT NULL, epoch BIGINT NOT NULL,
        document TEXT NOT NULL);
    CREATE TABLE run_parts (
        run_id TEXT NOT NULL, shard INTEGER NOT NULL, epoch BIGINT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (run_id, shard));
    """,
)
VERSION = len(MIGRATIONS)


async def migrate(connection: AsyncConnection[tuple[object, ...]], where: str) -> int:
    """Bring the database to `VERSION`; the version it was at. `where` names it in a refusal."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        cursor = await connection.execute("SELECT version FROM schema_version")
        row = await cursor.fetchone()
        found = int(str(row[0])) if row else 0
        if found > VERSION:
            raise ConfigurationError(
                f"the ledger database {where} has schema version {found}, newer than this "
                f"reconciler's {VERSION}: run the newer reconciler that migrated it"
            )
        for statement in MIGRATIONS[found:]:
            await connection.execute(statement.encode())
        if row is None:
            await connection.execute("INSERT INTO schema_version VALUES (%s)", (VERSION,))
        else:
            await connection.execute("UPDATE schema_version SET version = %s", (VERSION,))
    return found
