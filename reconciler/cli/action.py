"""`reconciler action start|stop|restart PIPELINE [--core NAME …] [--repo REPO] [--state-dir DIR]`.

Acts on the Cores at once (SPEC §5, `reconciler.shell.workspace.act`): the pipeline and the
Cores come from REPO (a working clone or any checkout), "deployed" is decided from readback, and
with `--state-dir` the outcome is also recorded in that ledger so the daemon's next report shows
it. Exit 0 when every Core did it, 1 when any Core refused or failed, 2 on a usage error.
I/O module (the terminal).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli import environment, loop, repository, workspace
from reconciler.cli.progress import Readback
from reconciler.decide import resolve
from reconciler.decide.model import ActionVerb, DeclaredState
from reconciler.decide.outcomes import Outcome
from reconciler.errors import ConfigurationError
from reconciler.shell.workspace import Action, act


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "action",
        help="start, stop or restart a pipeline on its Cores now",
        description="Start, stop or restart PIPELINE on its assigned Cores (or the named ones), "
        "using what was last deployed there.",
    )
    parser.add_argument(
        "verb", choices=[verb.value for verb in ActionVerb], help="what to do: start, stop, restart"
    )
    parser.add_argument("pipeline", help="the pipeline's name, as declared in the registry")
    parser.add_argument("--core", action="append", default=[], metavar="NAME", help="repeatable")
    repository.add_folder(parser, positional=False)
    workspace.add_ledger(parser, "to record the outcome in too")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = environment.build(args)
    repo = repository.folder(args)
    state = workspace.declared(repo, config)
    action = Action(ActionVerb(args.verb), args.pipeline, targets(state, args.pipeline, args.core))
    print(
        f"{action.verb.value} {action.pipeline} on {', '.join(action.cores)}: taken",
        file=sys.stderr,
    )
    progress = Readback(action.cores)
    try:
        ledger = workspace.ledger_of(args, config)
        outcomes = loop.run(act(repo, state, config, action, ledger, on_each=progress.done))
    finally:
        progress.close()
    for outcome in outcomes:
        detail = f": {outcome.message}" if outcome.message else ""
        print(f"{outcome.core}: {outcome.outcome.value}{detail}")
    ok = all(o.outcome is Outcome.DONE for o in outcomes)
    print(f"{action.verb.value} {action.pipeline}: {'done' if ok else 'failed'}", file=sys.stderr)
    return 0 if all(o.outcome is Outcome.DONE for o in outcomes) else 1


def targets(state: DeclaredState, pipeline: str, named: list[str]) -> tuple[str, ...]:
    """The Cores to act on: the named ones, else the pipeline's assigned Cores."""
    if pipeline not in state.pipelines:
        raise ConfigurationError(f"pipeline {pipeline!r} is not declared in the repository")
    unknown = [core for core in named if core not in state.cores]
    if unknown:
        raise ConfigurationError(f"--core {unknown[0]!r} is not a declared Core")
    chosen = named or list(resolve.cores_for(state, pipeline))
    if not chosen:
        raise ConfigurationError(
            f"pipeline {pipeline!r} has no assigned Cores; name them with --core"
        )
    return tuple(sorted(set(chosen)))
