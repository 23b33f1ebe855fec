"""What only the PostgreSQL ledger has: its URL rules, its migrations, moving a ledger into it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.decide.components import OpKind
from reconciler.decide.model import ComponentKind
from reconciler.decide.records import Stage
from reconciler.errors import ConfigurationError, ReconcilerError
from reconciler.shell.ledger import pgschema
from reconciler.shell.ledger.postgres import PostgresLedger, ledger_url
from reconciler.shell.ledger.sqlite import SqliteLedger
from tests.integration.ledger.test_contract import run
from tests.support.postgres import PostgresServer
from tests.support.world import deployment, error

pytestmark = pytest.mark.anyio


def test_a_url_with_a_password_is_refused_without_echoing_it() -> None:
    """The password belongs in PGPASSWORD or a pass file: the refusal never repeats it."""
    with pytest.raises(ConfigurationError) as refused:
        ledger_url("postgresql://ann:s3cr3t-pw@db.example:5432/ledger")
    assert "s3cr3t" not in str(refused.value)
    assert "--ledger must not hold a password" in str(refused.value)
    with pytest.raises(ConfigurationError, match="RECONCILER_LEDGER_URL must not hold"):
        ledger_url("postgresql://db.example/ledger?password=s3cr3t-pw", "RECONCILER_LEDGER_URL")
    with pytest.raises(ConfigurationError, match="must be a postgresql:// URL"):
        ledger_url("mysql://db.example/ledger")


async def test_migrations_are_versioned_and_run_once(postgres_server: PostgresServer) -> None:
    """A new database is migrated to this binary's version; reopening it migrates nothing."""
    url = postgres_server.database("migrations_once")
    ledger = await PostgresLedger.open(url)
    await ledger.close()
    assert postgres_server.sql("SELECT version FROM schema_version", "migrations_once").strip() == (
        str(pgschema.VERSION)
    )
    again = await PostgresLedger.open(url)
    assert await again.last_processed() is None
    await again.close()


async def test_an_old_schema_is_migrated_keeping_its_rows(postgres_server: PostgresServer) -> None:
    """A database at version 1 (before leases) gets the later migrations; its rows stay."""
    postgres_server.database("migrations_old")
    version_1 = "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version"
    version_1 += " VALUES (1);" + pgschema.MIGRATIONS[0]
    version_1 += "INSERT INTO meta VALUES ('last_processed_commit', 'abc');"
    postgres_server.sql(version_1, "migrations_old")
    ledger = await PostgresLedger.open(postgres_server.url("migrations_old"))
    assert await ledger.last_processed() == "abc"
    await ledger.close()
    assert postgres_server.sql("SELECT count(*) FROM leases", "migrations_old").strip() == "0"


async def test_a_newer_schema_is_refused(postgres_server: PostgresServer) -> None:
    """A database a newer reconciler migrated is not touched by an older one."""
    url = postgres_server.database("migrations_newer")
    await (await PostgresLedger.open(url)).close()
    newer = f"UPDATE schema_version SET version = {pgschema.VERSION + 1}"  # noqa: S608
    postgres_server.sql(newer, "migrations_newer")
    with pytest.raises(ConfigurationError) as refused:
        await PostgresLedger.open(url)
    assert f"has schema version {pgschema.VERSION + 1}, newer than this reconciler's" in str(
        refused.value
    )


async def test_an_unreachable_database_is_one_sentence(postgres_server: PostgresServer) -> None:
    """A database that does not exist: the sentence names it, and no exception escapes raw."""
    with pytest.raises(ReconcilerError, match=r"the ledger database 127\.0\.0\.1:\d+/nowhere"):
        await PostgresLedger.open(postgres_server.url("nowhere"))


async def test_export_then_import_moves_sqlite_to_postgres(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """Every row of a SQLite ledger lands in a new PostgreSQL one, which then reads the same."""
    sqlite = await SqliteLedger.open(tmp_path)
    await sqlite.record_core("edge-1", [deployment("edge-1", "main")], [])
    await sqlite.settle("edge-2", [((ComponentKind.STREAM, "raw"), OpKind.CREATE)], [], "r")
    await sqlite.set_error(error("edge-1", "main", Stage.START))
    await sqlite.claim(run("first"))
    await sqlite.set_last_processed("abc")
    await sqlite.set_trusted_signers(["ann ssh-ed25519 AAAA"])
    rows = await sqlite.export_rows()
    target = await PostgresLedger.open(postgres_server.database("moved_in"))
    await target.import_rows(rows)
    assert await target.export_rows() == rows
    assert await target.records() == await sqlite.records()
    assert await target.recent() == await sqlite.recent()
    assert await target.trusted_signers() == ("ann ssh-ed25519 AAAA",)
    with pytest.raises(ConfigurationError, match="is not empty"):
        await target.import_rows(rows)
    await target.close()
    await sqlite.close()


def reconciler(
    *args: str, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(environ or {})},
    )


async def test_the_ledger_command_moves_a_ledger_and_refuses_bad_lines(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """`reconciler ledger export` then `import` (SQLite to PostgreSQL): the same rows; a bad line
    is one sentence naming the file and the line, and nothing is stored."""
    sqlite = await SqliteLedger.open(tmp_path / "state")
    await sqlite.record_core("edge-1", [deployment("edge-1", "main")], [])
    await sqlite.claim(run("first"))
    rows = await sqlite.export_rows()
    await sqlite.close()
    exported = tmp_path / "ledger.jsonl"
    done = reconciler(
        "ledger", "export", "--state-dir", str(tmp_path / "state"), "--file", str(exported)
    )
    assert done.returncode == 0, done.stderr
    assert f"exported {len(rows)} rows" in done.stderr

    url = postgres_server.database("moved_by_command")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(exported.read_text() + '{"table": "secrets", "row": ["x"]}\n')
    refused = reconciler(
        "ledger", "import", "--file", str(broken), environ={"RECONCILER_LEDGER_URL": url}
    )
    assert refused.returncode == 2
    assert f"{broken} line {len(rows) + 2} is not a row of a ledger table" in refused.stderr

    done = reconciler("ledger", "import", "--ledger", url, "--file", str(exported))
    assert done.returncode == 0, done.stderr
    target = await PostgresLedger.open(url)
    assert await target.export_rows() == rows
    await target.close()


def test_the_daemon_refuses_a_ledger_url_with_a_password(tmp_path: Path) -> None:
    """`reconciler run --ledger` with a password in the URL: exit 2, one sentence, no password."""
    done = reconciler(
        "run", "--repo", str(tmp_path), "--state-dir", str(tmp_path / "state"),
        "--ledger", "postgresql://ann:s3cr3t-pw@127.0.0.1:1/ledger",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "reconciler: --ledger must not hold a password: give it in PGPASSWORD, PGPASSFILE or "
        "~/.pgpass"
    )
    assert "s3cr3t" not in done.stdout + done.stderr
