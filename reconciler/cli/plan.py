"""`reconciler plan [REPO] [--format text|markdown|json]`: what a Deploy All would change now.

It reads the folder's declared state, reads back every Core, and plans against what the Cores
hold; what this reconciler owns is read from the components' own metadata (or from the daemon's
ledger with `--state-dir`). The digest it prints is what a deploy marker pins with `expect_plan`.
I/O module (files, Cores, the terminal).
"""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.cli import repository, workspace
from reconciler.decide.plan import plan
from reconciler.decide.planview import plan_json, plan_markdown, plan_text
from reconciler.shell.workspace import revision_label

FORMATS = {"text": plan_text, "markdown": plan_markdown}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "plan",
        help="show what a Deploy All would change, and the plan digest",
        description="Read back every Core and print the per-Core operations a Deploy All of "
        "REPO's declared state would run, with the plan digest.",
    )
    repository.add_folder(parser)
    parser.add_argument(
        "--format",
        choices=["text", "markdown", "json"],
        default="text",
        help="text for a terminal (default), markdown for a pull request, json for machines",
    )
    parser.add_argument("--state-dir", help="use the daemon's ledger for what it owns")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when a Deploy All would do nothing, 2 when it would change something "
        "(or a Core cannot be planned), 1 when the declared state is invalid",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    seen, _config = workspace.snapshot(args)
    revision, label = revision_label(seen.repo)
    found = plan(seen.state, seen.records, seen.observations, revision)
    print(plan_json(found) if args.format == "json" else FORMATS[args.format](found, label), end="")
    pending = found.changes > 0 or any(core.blocked for core in found.cores)
    return 2 if args.detailed_exitcode and pending else 0
