"""The embedded ledger's schema, and its database opened (`ledger.sqlite` holds the calls).

The tables are those every backend keeps (`rows.TABLES`), plus `generation`: a count of the
changes to the record tables, kept by a trigger per table and event, so that a read by any
process can tell whether the records changed since it last read them. Created when missing,
so a ledger made by an older version gains the count when it is opened.

I/O module (SQLite, files).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from reconciler.shell.ledger.permissions import make_private, private_directory, private_file

FILE_NAME = "ledger.sqlite3"
RECORD_TABLES = ("owned", "deployments", "cell_errors", "intents")
JOURNALS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside the database (it creates them with the database's mode)."""
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
CREATE TABLE IF NOT EXISTS intents (
    core TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, op TEXT NOT NULL,
    run_id TEXT NOT NULL, PRIMARY KEY (core, kind, name));
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, commit_sha TEXT NOT NULL,
    requested_at TEXT NOT NULL, document TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS generation (
    id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT OR IGNORE INTO generation VALUES (1, 0);
"""
COUNTED = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()} AFTER {event} ON {table} "  # noqa: S608 (names from RECORD_TABLES)
    "BEGIN UPDATE generation SET value = value + 1; END;\n"
    for table in RECORD_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
)
"""`generation` counts the changes to the record tables, by any process (a trigger per row
changed): a read that finds the count it last saw returns the records it last read, which is
what a pass where nothing was deployed costs, instead of decoding the whole ledger again."""


def connect(state_dir: Path) -> sqlite3.Connection:
    """The ledger's database in `state_dir`, made private, in WAL mode with full sync, its
    schema and change counter in place (made when missing)."""
    private_directory(state_dir)
    os.close(private_file(state_dir / FILE_NAME))
    for suffix in JOURNALS:
        make_private(state_dir / f"{FILE_NAME}{suffix}")
    connection = sqlite3.connect(state_dir / FILE_NAME, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=10000")
    connection.executescript(SCHEMA + COUNTED)
    return connection
