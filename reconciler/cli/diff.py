"""`reconciler diff [PIPELINE] [--core C …]`: what drifted, field by field, like `diff`.

One readback (as `status` does); for every cell whose Core holds something else than what was
deployed there, the components and fields that differ (values under secret-named keys masked).
Exit 0 when nothing differs, 2 when something does, 1 when the declared state is invalid.
I/O module (the terminal).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.cli import repository, workspace
from reconciler.decide.diffview import drift_lines
from reconciler.decide.reportjson import drift_document
from reconciler.decide.rows import CellView, Inputs, rows
from reconciler.errors import ConfigurationError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "diff",
        help="show what differs on the Cores from what was deployed, field by field",
        description="Read back the Cores and print, for each pipeline and Core where the Core "
        "holds something else than what was deployed, the components and fields that differ. "
        "Exit 0 when nothing differs, 2 when something does.",
    )
    parser.add_argument("pipeline", nargs="?", help="only this pipeline (default: all)")
    parser.add_argument(
        "--core", action="append", default=[], metavar="NAME", help="only this Core; repeatable"
    )
    repository.add_folder(parser, positional=False)
    workspace.add_ledger(parser, "for what was deployed")
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or json"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    seen, config = workspace.snapshot(args)
    if args.pipeline is not None and args.pipeline not in seen.state.pipelines:
        raise ConfigurationError(f"pipeline {args.pipeline!r} is not declared in the repository")
    unknown = [core for core in args.core if core not in seen.state.cores]
    if unknown:
        raise ConfigurationError(f"--core {unknown[0]!r} is not a declared Core")
    interval = timedelta(seconds=config.readback_interval)
    inputs = Inputs(seen.state, seen.records, seen.observations, datetime.now(UTC), interval)
    found = [
        (row.pipeline, cell)
        for row in rows(inputs)
        if args.pipeline in (None, row.pipeline)
        for cell in row.cells
        if cell.drift and (not args.core or cell.core in args.core)
    ]
    print(_json(found) if args.format == "json" else _text(found), end="")
    return 2 if found else 0


def _text(found: list[tuple[str, CellView]]) -> str:
    if not found:
        return "no differences: every Core holds what was deployed there\n"
    lines = []
    for pipeline, cell in found:
        lines.append(f"{pipeline} on {cell.core}:")
        lines += [f"  {line}" for line in drift_lines(cell.drift)]
    return "\n".join(lines) + "\n"


def _json(found: list[tuple[str, CellView]]) -> str:
    document = [
        {
            "pipeline": pipeline,
            "core": cell.core,
            "drift": [drift_document(component) for component in cell.drift],
        }
        for pipeline, cell in found
    ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
