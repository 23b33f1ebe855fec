"""`reconciler plan [REPO] [--format text|markdown|json]`: what a Deploy All would change now.

With `--revision REV [--base BASE] [--offline]` the declared state is read from Git's objects
at REV, no checkout needed (`reconciler.shell.revisions`, which also says where "deployed"
comes from); with `--base` the output leads with what the change declares (`decide.change`).

It reads the folder's declared state, reads back every Core, and plans against what the Cores
hold; what this reconciler owns is read from the components' own metadata (or from the daemon's
ledger with `--state-dir`). The digest it prints is what a deploy marker pins with `expect_plan`.
I/O module (files, Cores, the terminal).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.cli import environment, loop, repository, workspace
from reconciler.cli.progress import Readback
from reconciler.cli.repository import Invalid
from reconciler.decide.change import Change, change, change_document, change_markdown, change_text
from reconciler.decide.markdown import text
from reconciler.decide.model import DeclaredState
from reconciler.decide.plan import Plan, plan
from reconciler.decide.planview import plan_document, plan_json, plan_markdown, plan_text
from reconciler.errors import ConfigurationError, DeclarationError
from reconciler.shell import revisions
from reconciler.shell.config import Config
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
    workspace.add_ledger(parser, "for what it owns")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when a Deploy All would do nothing, 2 when it would change something "
        "(or a Core cannot be planned), 1 when the declared state is invalid",
    )
    parser.add_argument(
        "--revision",
        metavar="REV",
        help="plan the declared state at this Git revision, read from Git's objects "
        "(no checkout needed)",
    )
    parser.add_argument(
        "--base",
        metavar="REV",
        help="with --revision: lead with what the change from this revision declares "
        "(pipelines gained or lost per Core, component specs field by field); Cores that "
        "REV declares differently from BASE are not contacted",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="with --revision: contact no Core; deployed state comes from the report's inventory",
    )
    parser.add_argument(
        "--report-ref",
        metavar="REV",
        help="with --revision: read the report's inventory at this revision "
        "(default: BASE, else REV)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.revision is None:
        if args.base or args.offline or args.report_ref:
            raise ConfigurationError("--base, --offline and --report-ref go with --revision REV")
        return _checkout(args)
    return _at_revision(args)


def _checkout(args: argparse.Namespace) -> int:
    seen, _config = workspace.snapshot(args)
    revision, label = revision_label(seen.repo)
    found = plan(seen.state, seen.records, seen.observations, revision)
    print(plan_json(found) if args.format == "json" else FORMATS[args.format](found, label), end="")
    return _exit(args, found)


def _exit(args: argparse.Namespace, found: Plan) -> int:
    pending = found.changes > 0 or any(core.blocked for core in found.cores)
    return 2 if args.detailed_exitcode and pending else 0


def _at_revision(args: argparse.Namespace) -> int:
    """`--revision REV [--base BASE]`: read from Git's objects (`shell.revisions`)."""
    root, config = repository.folder(args), environment.build(args)
    revision = revisions.commit_of(root, args.revision)
    base = revisions.commit_of(root, args.base) if args.base else None
    state = _valid(root, revision, config, "--revision")
    base_state = _valid(root, base, config, "--base") if base else None
    report = revisions.report_at(
        root, revisions.commit_of(root, args.report_ref or base or revision)
    )
    progress = Readback([] if args.offline else state.cores)
    try:
        now = datetime.now(UTC)
        found = loop.run(
            revisions.deployed(
                state, base_state, report, config, now, offline=args.offline, on_each=progress.done
            )
        )
    finally:
        progress.close()
    print(f"deployed: from {found.deployed_from}", file=sys.stderr)
    planned = plan(state, found.records, found.observations, revision)
    edit = change(base_state, state) if base_state is not None and base else None
    print(_render(args.format, planned, edit, (base, revision), found.deployed_from), end="")
    return _exit(args, planned)


def _valid(root: Path, revision: str, config: Config, flag: str) -> DeclaredState:
    try:
        return revisions.state_at(root, revision, config)
    except DeclarationError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            f"{flag} {revision[:12]}: invalid: {len(error.problems)} problem(s); "
            "nothing was planned",
            file=sys.stderr,
        )
        raise Invalid from error


def _render(
    form: str, planned: Plan, edit: Change | None, span: tuple[str | None, str], source: str
) -> str:
    base, revision = span
    label = revision[:12]
    if form == "json":
        document = plan_document(planned)
        document["deployed_from"] = source
        if edit is not None:
            document["base"] = base
            document["change"] = change_document(edit)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    shown = (base or "")[:12]
    if form == "markdown":
        lead = change_markdown(edit, shown, label) if edit is not None else []
        where = f"Deployed state: from {text(source)}.\n"
        return "\n".join(lead) + "\n" + plan_markdown(planned, label) + "\n" + where
    lead = change_text(edit, shown, label) if edit is not None else []
    return (
        "\n".join(lead)
        + ("\n" if lead else "")
        + plan_text(planned, label)
        + f"Deployed state: from {source}.\n"
    )
