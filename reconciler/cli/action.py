"""`reconciler action start|stop|restart PIPELINE [--core NAME …] [--repo REPO] [--state-dir DIR]`.

Acts on the Cores at once (SPEC §5): the pipeline and the Cores come from REPO (a working clone or
any checkout), "deployed" is decided from readback, and with `--state-dir` the outcome is also
recorded in that ledger so the daemon's next report shows it. Exit 0 when every Core did it,
1 when any Core refused or failed, 2 on a usage error. I/O module.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.cli import environment, workspace
from reconciler.decide import resolve
from reconciler.decide.model import ActionVerb, DeclaredState
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind
from reconciler.decide.records import records_from_metadata
from reconciler.errors import ConfigurationError
from reconciler.shell import actions
from reconciler.shell.clock import utc_now
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.sqlite import Ledger


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "action",
        help="start, stop or restart a pipeline on its Cores now",
        description="Start, stop or restart PIPELINE on its assigned Cores (or the named ones), "
        "using what was last deployed there.",
    )
    parser.add_argument("verb", choices=[verb.value for verb in ActionVerb])
    parser.add_argument("pipeline")
    parser.add_argument("--core", action="append", default=[], metavar="NAME", help="repeatable")
    parser.add_argument(
        "--repo", default=".", help="working clone with the declared state (default: .)"
    )
    parser.add_argument("--state-dir", help="also record the outcome in this ledger")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    state = workspace.declared(Path(args.repo))
    cores = targets(state, args.pipeline, args.core)
    config = environment.build(args)
    verb = ActionVerb(args.verb)
    ledger = Ledger.open(config.state_dir) if args.state_dir and config.state_dir else None
    try:
        started = datetime.now(UTC)
        outcomes = asyncio.run(
            act(state, config, verb=verb, pipeline=args.pipeline, cores=cores, ledger=ledger)
        )
        if ledger is not None:
            ledger.claim(cli_run(verb, args.pipeline, cores, outcomes, started))
    finally:
        if ledger is not None:
            ledger.close()
    for outcome in outcomes:
        detail = f": {outcome.message}" if outcome.message else ""
        print(f"{outcome.core}: {outcome.outcome.value}{detail}")
    return 0 if all(o.outcome is Outcome.DONE for o in outcomes) else 1


def targets(state: DeclaredState, pipeline: str, named: list[str]) -> list[str]:
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
    return sorted(set(chosen))


async def act(
    state: DeclaredState,
    config: Config,
    *,
    verb: ActionVerb,
    pipeline: str,
    cores: list[str],
    ledger: Ledger | None,
) -> tuple[CoreOutcome, ...]:
    async with CorePool(config.environ, config.client, utc_now) as pool:
        observations = await pool.readback_all(state.cores[core] for core in cores)
        records = records_from_metadata(observations)
        job = actions.ActionJob(verb, pipeline, records, observations, utc_now, ledger)
        return await actions.act(job, cores, lambda name: pool.client(state.cores[name]))


def cli_run(
    verb: ActionVerb,
    pipeline: str,
    cores: list[str],
    outcomes: tuple[CoreOutcome, ...],
    started: datetime,
) -> Run:
    """The finished run a command-line action leaves in the daemon's ledger."""
    ok = all(o.outcome is Outcome.DONE for o in outcomes)
    return Run(
        id=started.strftime(f"cli-%Y%m%d-%H%M%S-{verb.value}-{pipeline}")[:63],
        kind=RunKind.ACTION,
        state=RequestState.DONE if ok else RequestState.FAILED,
        commit="cli",
        author="reconciler action (command line)",
        requested_at=started,
        reason=f"{verb.value} {pipeline}",
        pipeline=pipeline,
        action=verb.value,
        target_cores=tuple(cores),
        cores=outcomes,
        started_at=started,
        finished_at=datetime.now(UTC),
    )
