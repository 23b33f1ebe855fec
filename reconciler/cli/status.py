"""`reconciler status [REPO] [--format text|markdown|json]`: one readback, the rows; writes nothing.

Deployed state comes from the components' own metadata, or from the daemon's ledger with
`--state-dir`. I/O module (files, Cores, the terminal).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.cli import repository, workspace
from reconciler.decide.diffview import drift_lines
from reconciler.decide.report import readme, report_of
from reconciler.decide.reportjson import json_text, pipelines_document
from reconciler.decide.rows import Inputs, Row, needs_attention
from reconciler.shell.workspace import revision_of


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "status",
        help="read back every Core and print the pipeline rows",
        description="Read back every Core once and print each pipeline's status, tags and cells.",
    )
    repository.add_folder(parser)
    parser.add_argument(
        "--format",
        choices=["text", "markdown", "json"],
        default="text",
        help="text for a terminal (default), markdown as in status/README.md, json as in "
        "status/pipelines.json",
    )
    workspace.add_ledger(parser, "for what was deployed")
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help='exit 1 when a row needs someone (the report\'s "Needs attention"), else 0',
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    seen, config = workspace.snapshot(args)
    now, interval = datetime.now(UTC), timedelta(seconds=config.readback_interval)
    inputs = Inputs(seen.state, seen.records, seen.observations, now, interval)
    report = report_of(inputs, revision_of(seen.repo))
    if args.format == "text":
        print(table(report.rows), end="")
    elif args.format == "markdown":
        print(readme(report), end="")
    else:
        print(json_text(pipelines_document(report)), end="")
    return 1 if args.exit_code and any(needs_attention(row) for row in report.rows) else 0


def table(found: tuple[Row, ...]) -> str:
    """Rows as aligned columns for a terminal, one line per cell under its pipeline."""
    width = max((len(row.pipeline) for row in found), default=8)
    lines = [f"{'PIPELINE':<{width}}  {'STATUS':<18}  TAGS"]
    for row in found:
        tags = ", ".join(tag.value for tag in row.tags) or "-"
        lines.append(f"{row.pipeline:<{width}}  {row.status.value:<18}  {tags}")
        for cell in row.cells:
            note = "" if cell.assigned else "  (not assigned: to remove)"
            error = f"  error: {cell.last_error}" if cell.last_error else ""
            state = f"{cell.deployment.value}, {cell.runtime.value}"
            lines.append(f"{'':<{width}}    {cell.core}: {state}{note}{error}")
            lines += [f"{'':<{width}}      {line}" for line in drift_lines(cell.drift)]
    return "\n".join(lines) + "\n"
