"""`reconciler ledger export|import`: move a ledger between backends, as JSON lines.

    reconciler ledger export --state-dir DIR > ledger.jsonl
    reconciler ledger import --ledger postgresql://reconciler@db/reconciler < ledger.jsonl

The first line says what the file is (`{"format": "reconciler-ledger", "version": 1}`); every
other line is one row, `{"table": NAME, "row": [COLUMNS…]}`, in the tables and column order
both backends share (`reconciler.shell.ledger.rows.TABLES`). Import goes into an empty ledger in
one transaction (stop the daemon first); a bad line is refused, naming the file and line, before
anything is stored. I/O module (the terminal, files, the ledger).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import IO, Any

from reconciler.cli import environment, loop
from reconciler.errors import ConfigurationError
from reconciler.shell.ledger.opening import describe, open_ledger
from reconciler.shell.ledger.rows import TABLES

FORMAT = {"format": "reconciler-ledger", "version": 1}
LEDGER_HELP = "a PostgreSQL ledger (or RECONCILER_LEDGER_URL), without a password"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "ledger",
        help="export or import a ledger (SQLite to PostgreSQL) as JSON lines",
        description="Move a ledger between backends: export writes it as JSON lines, import "
        "stores such a file into an empty ledger. --ledger names a PostgreSQL one, else "
        "--state-dir the SQLite one.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="export|import", required=True)
    for verb, text in (("export", "write the ledger"), ("import", "load into an empty ledger")):
        sub = verbs.add_parser(verb, help=text)
        sub.add_argument("--state-dir", help="the SQLite ledger in this state directory")
        sub.add_argument("--ledger", metavar="postgresql://USER@HOST/DB", help=LEDGER_HELP)
        sub.add_argument(
            "--file", default="-", help="the JSON lines file (default: standard output/input)"
        )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = environment.build(args)
    if config.ledger_url is None and config.state_dir is None:
        raise ConfigurationError(f"ledger {args.verb} needs --ledger or --state-dir")
    state_dir = config.state_dir if config.ledger_url is None else None
    if args.verb == "export":
        rows = loop.run(_export(config.ledger_url, state_dir))
        with _open(args.file, "w") as out:
            out.write(json.dumps(FORMAT) + "\n")
            for table, row in rows:
                out.write(json.dumps({"table": table, "row": list(row)}) + "\n")
        print(f"exported {len(rows)} rows of {describe(config.ledger_url, state_dir)}",
              file=sys.stderr)  # fmt: skip
        return 0
    with _open(args.file, "r") as source:
        loaded = parse(source, "standard input" if args.file == "-" else args.file)
    asyncio.run(_import(config.ledger_url, state_dir, loaded))
    print(f"imported {len(loaded)} rows into {describe(config.ledger_url, state_dir)}",
          file=sys.stderr)  # fmt: skip
    return 0


def _open(path: str, mode: str) -> IO[str]:
    if path == "-":
        return open(sys.stdout.fileno() if mode == "w" else sys.stdin.fileno(), mode, closefd=False)
    try:
        return open(path, mode, encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"--file {path} cannot be opened: {error.strerror}") from None


def parse(lines: IO[str], name: str) -> list[tuple[str, list[Any]]]:
    """The rows of an export; the first bad line is one sentence naming `name` and the line."""
    rows: list[tuple[str, list[Any]]] = []
    for number, line in enumerate(lines, start=1):
        try:
            found = json.loads(line)
        except ValueError:
            raise ConfigurationError(f"{name} line {number} is not JSON") from None
        if number == 1:
            if found != FORMAT:
                raise ConfigurationError(f"{name} is not a reconciler ledger export (line 1)")
            continue
        table = found.get("table") if isinstance(found, dict) else None
        row = found.get("row") if isinstance(found, dict) else None
        if table not in TABLES or not isinstance(row, list) or len(row) != len(TABLES[table]):
            raise ConfigurationError(
                f"{name} line {number} is not a row of a ledger table ({', '.join(TABLES)})"
            )
        if not all(isinstance(value, str) for value in row):
            raise ConfigurationError(f"{name} line {number}: every column must be a string")
        rows.append((table, row))
    return rows


async def _export(url: str | None, state_dir: Path | None) -> list[tuple[str, tuple[Any, ...]]]:
    ledger = await open_ledger(url, state_dir, create=False)
    try:
        return await ledger.export_rows()
    finally:
        await ledger.close()


async def _import(
    url: str | None, state_dir: Path | None, rows: list[tuple[str, list[Any]]]
) -> None:
    ledger = await open_ledger(url, state_dir)
    try:
        await ledger.import_rows(rows)
    finally:
        await ledger.close()
