"""A person's checkout and the Cores it declares: what the commands without a daemon read and do.

`plan`, `status` and `action` work from a folder (a working clone or any checkout), one readback
of every Core it declares, and what was deployed on them: from the daemon's ledger when a state
directory is given, else rebuilt from the `metadata` every component this reconciler wrote
carries. `act` is the command-line Core Action (SPEC §5): it acts on the Cores at once and, with
a ledger, records the outcome where the daemon's next report shows it.

I/O module (files, Git, Cores, the ledger).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.decide.declared.layout import looks_like_repository, not_a_repository
from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.inventory import FOLDER, MAX_BYTES, records_from_inventory
from reconciler.decide.model import ActionVerb, DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind
from reconciler.decide.records import Records, adopted
from reconciler.decide.trust import TokenPolicy
from reconciler.errors import ConfigurationError, ReconcilerError
from reconciler.shell import actions
from reconciler.shell.clock import Clock, utc_now
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.opening import Place
from reconciler.shell.repo.files import read_folder

GIT_SECONDS = 30.0
"""How long `revision_label` waits for one git command before calling the folder unversioned."""

WORKING_TREE = "working-tree"
"""The revision of a folder that is not a Git checkout, or one without a commit."""


def declared(repo: Path, tokens: TokenPolicy) -> DeclaredState:
    """The declared state of a working folder; raises `DeclarationError` with every problem, and
    `ConfigurationError` for a folder that is no reconciler repository at all."""
    files = read_folder(repo)
    if not looks_like_repository(f.path for f in files):
        raise ConfigurationError(not_a_repository(str(repo)))
    return parse_repository(files, tokens=tokens)


def revision_label(repo: Path) -> tuple[str, str]:
    """(revision, label): the HEAD commit of the folder's Git repository, if it is one.

    Two plain git commands: loading GitPython for them cost more than the rest of `status` at
    a small fleet.
    """
    head = revision_of(repo)
    if head == WORKING_TREE:
        return head, f"the working tree of {repo}"
    dirty = " with uncommitted changes" if _git(repo, "status", "--porcelain") else ""
    return head, f"{head[:12]}{dirty}"


def revision_of(repo: Path) -> str:
    """The HEAD commit of the folder's Git repository, or `working-tree` (one git command; what
    `status` names, which asks no `git status` of a large checkout)."""
    return _git(repo, "rev-parse", "--verify", "-q", "HEAD") or WORKING_TREE


def _git(repo: Path, *args: str) -> str | None:
    """What a git command prints in `repo` (stripped), or None when it fails."""
    try:
        done = subprocess.run(  # noqa: S603  (our own arguments; git from PATH, as GitPython runs it)
            ["git", "-C", str(repo), *args],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=GIT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A folder's declared state, one readback of its Cores, and what was deployed on them."""

    repo: Path
    state: DeclaredState
    observations: dict[str, Observation]
    records: Records
    deployed_from: str
    """Where "deployed" came from, for a person to judge it by: the ledger, or the report's
    inventory in this checkout (and when it was written), or the components' metadata."""


async def snapshot(
    repo: Path,
    state: DeclaredState,
    config: Config,
    ledger: Place | None,
    on_each: Callable[[Observation], None] | None = None,
) -> Snapshot:
    """Read back every Core `state` declares (`on_each` hears each one as it ends).

    Deployed state comes from the daemon's ledger when `ledger` names it; else from
    the inventory of the report in this checkout (`decide.inventory`), so that the answer is the
    daemon's; else, with no report, from the components' own metadata. Whatever the source,
    what the Cores show this reconciler wrote is adopted (`decide.records.adopted`).
    """
    async with CorePool(config.environ, config.client) as pool:
        observations = await pool.readback_all(state.cores.values(), on_each=on_each)
    known, source = await records_of(repo, state.settings.report_dir, ledger)
    return Snapshot(repo, state, observations, adopted(known, observations), source)


async def records_of(repo: Path, report_dir: str, ledger: Place | None) -> tuple[Records, str]:
    """What was deployed, from the daemon's ledger when `ledger` names it, else from the report's
    inventory in the checkout, and a sentence saying where from."""
    if ledger is None:
        return await asyncio.to_thread(read_inventory, repo, report_dir)
    opened = await ledger.open(create=False)
    try:
        known = await opened.records()
    finally:
        await opened.close()
    return known, f"the daemon's {str(ledger).removeprefix('the ')}"


def read_inventory(repo: Path, report_dir: str) -> tuple[Records, str]:
    """The records of the report's inventory in a checkout, and a sentence saying so."""
    folder = repo / report_dir / FOLDER
    documents = {
        path.name: path.read_bytes()
        for path in sorted(folder.glob("*.json"))
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_BYTES
    }
    if not documents:
        return Records(), "the components' own metadata (this checkout holds no report inventory)"
    written = _generated_at(repo / report_dir / "pipelines.json")
    return records_from_inventory(documents), f"the report in this checkout ({written})"


def _generated_at(path: Path) -> str:
    try:
        document = json.loads(path.read_bytes()[:MAX_BYTES])
        return f"revision {str(document['revision'])[:12]}, written {document['generated_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its pipelines.json cannot be read"


@dataclass(frozen=True, slots=True)
class Action:
    """A Core Action asked for on the command line."""

    verb: ActionVerb
    pipeline: str
    cores: tuple[str, ...]


async def act(
    repo: Path,
    state: DeclaredState,
    config: Config,
    action: Action,
    place: Place | None,
    *,
    clock: Clock = utc_now,
    on_each: Callable[[Observation], None] | None = None,
) -> tuple[CoreOutcome, ...]:
    """Carry out `action` now, judged by one readback against what was deployed (as `snapshot`
    knows it); recorded in the daemon's ledger when `place` names it."""
    started = clock()
    ledger = await place.open(create=False) if place is not None else None
    try:
        if ledger is not None:
            known = await ledger.records()
        else:
            known, _source = await asyncio.to_thread(
                read_inventory, repo, state.settings.report_dir
            )
        async with CorePool(config.environ, config.client, clock) as pool:
            cores = (state.cores[core] for core in action.cores)
            observations = await pool.readback_all(cores, on_each=on_each)
            records = adopted(known, observations)
            job = actions.ActionJob(
                action.verb, action.pipeline, records, observations, clock, ledger
            )
            outcomes = await actions.act(
                job, action.cores, lambda name: pool.client(state.cores[name])
            )
        if ledger is not None:
            done = command_line_run(action, outcomes, started, clock())
            if not await ledger.claim(done):
                raise ReconcilerError(
                    f"the action ran but was not recorded: id {done.id} is taken in the ledger"
                )
    finally:
        if ledger is not None:
            await ledger.close()
    return outcomes


def command_line_run(
    action: Action, outcomes: tuple[CoreOutcome, ...], started: datetime, ended: datetime
) -> Run:
    """The finished run a command-line action leaves in the daemon's ledger.

    Its id is unique per run, not per second: the time to the microsecond and a random part come
    before the verb and the pipeline, so cutting a long id to the 63 characters of an id never
    cuts what tells two runs apart.
    """
    ok = all(o.outcome is Outcome.DONE for o in outcomes)
    unique = f"{started:%Y%m%d-%H%M%S}{started.microsecond:06d}-{secrets.token_hex(3)}"
    return Run(
        id=f"cli-{unique}-{action.verb.value}-{action.pipeline}"[:63],
        kind=RunKind.ACTION,
        state=RequestState.DONE if ok else RequestState.FAILED,
        commit="cli",
        author="reconciler action (command line)",
        requested_at=started,
        reason=f"{action.verb.value} {action.pipeline}",
        pipeline=action.pipeline,
        action=action.verb,
        target_cores=action.cores,
        cores=outcomes,
        started_at=started,
        finished_at=ended,
    )
