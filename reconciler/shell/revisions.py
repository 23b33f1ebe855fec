"""Plans at a revision without a checkout: `reconciler plan --revision REV [--base BASE]`.

The declared state is read from Git's objects at REV (and BASE), never from a working tree, so
a CI job can plan a pull request's head against its target branch in any clone. "Deployed" is
what the Cores hold, read back live, except for:

- every Core with `--offline`;
- with `--base`, a Core that REV declares differently from BASE (url, token reference or TLS)
  or that BASE does not declare: a pull request must not choose where a CI job's Core tokens
  go, so such a Core is not contacted (the daemon too waits for a Deploy All to trust it);
- a Core whose readback fails.

Those are planned from the last report in the repository (its inventory of what each Core was
deployed, read at `--report-ref`, by default BASE, else REV), as if nothing had changed on them
since; the sentence `deployed_from` says which Cores, which report, and how old it is.
I/O module (the Git object database, Cores, the clock).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import git

from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.inventory import FOLDER, MAX_BYTES, held_as_recorded, records_from_inventory
from reconciler.decide.model import DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.records import Records, adopted
from reconciler.decide.trust import CoreIdentity
from reconciler.errors import ConfigurationError
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.repo.files import read_revision
from reconciler.shell.repo.reports import report_dir_of


def commit_of(root: Path, revision: str) -> str:
    """The full commit id `revision` names in the repository at `root`."""
    if revision.startswith("-"):
        raise ConfigurationError(f"revision {revision!r} is not a revision")
    try:
        return str(git.Repo(root).commit(revision).hexsha)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise ConfigurationError(f"{root} is not a Git repository") from error
    except (git.BadName, ValueError) as error:
        raise ConfigurationError(f"revision {revision!r} is not in {root}") from error


def state_at(root: Path, revision: str, config: Config) -> DeclaredState:
    """The declared state at `revision`; raises `DeclarationError` with every problem."""
    return parse_repository(read_revision(root, revision), tokens=config.tokens)


@dataclass(frozen=True, slots=True)
class Report:
    """The report's inventory at a revision: the records, and when it was written."""

    records: Records
    ref: str
    revision: str | None
    written: datetime | None

    def describe(self, now: datetime) -> str:
        if self.written is None:
            return f"no report at {self.ref} (nothing counted as deployed)"
        age = max(0, int((now - self.written).total_seconds() // 60))
        of = f" of revision {self.revision[:12]}" if self.revision else ""
        written = f"{self.written:%Y-%m-%d %H:%M} UTC"
        return f"the report at {self.ref[:12]}{of}, written {written} ({age} min ago)"


def report_at(root: Path, ref: str) -> Report:
    """The inventory of the report committed at `ref` (empty when there is none)."""
    tree = git.Repo(root).commit(ref).tree
    folder = report_dir_of(tree)
    try:
        top = tree / f"{folder}/{FOLDER}"
        documents = {
            item.name: item.data_stream.read()
            for item in (top.blobs if isinstance(top, git.Tree) else ())
            if item.name.endswith(".json") and item.size <= MAX_BYTES
        }
        summary = json.loads((tree / f"{folder}/pipelines.json").data_stream.read())
        written = datetime.fromisoformat(str(summary["generated_at"]))
        revision = str(summary["revision"])
    except (KeyError, ValueError, TypeError):
        return Report(Records(), ref, None, None)
    return Report(records_from_inventory(documents), ref, revision, written)


@dataclass(frozen=True, slots=True)
class Deployed:
    """What the plan at a revision is made against."""

    observations: dict[str, Observation]
    records: Records
    deployed_from: str


async def deployed(
    state: DeclaredState,
    base: DeclaredState | None,
    report: Report,
    config: Config,
    now: datetime,
    *,
    offline: bool,
    on_each: Callable[[Observation], None] | None = None,
) -> Deployed:
    """Read back the Cores that may be contacted; plan the others from `report`."""
    contacted = (
        [] if offline else [c for c in state.cores.values() if _trusted(c.name, state, base)]
    )
    live: dict[str, Observation] = {}
    if contacted:
        async with CorePool(config.environ, config.client) as pool:
            live = await pool.readback_all(contacted, on_each=on_each)
    skipped = "--offline" if offline else "not contacted: new or changed here"
    why = dict.fromkeys(state.cores, skipped)
    why.update({name: f"{seen.reason or 'unreachable'}" for name, seen in live.items()})
    live = {name: seen for name, seen in live.items() if seen.reachable}
    at = report.written or now
    from_report = {
        name: held_as_recorded(report.records, name, at) for name in state.cores if name not in live
    }
    records = adopted(report.records, live)
    said = _sentence(live, {name: why[name] for name in from_report}, report, now)
    return Deployed({**live, **from_report}, records, said)


def _trusted(name: str, state: DeclaredState, base: DeclaredState | None) -> bool:
    if base is None:
        return True
    before = base.cores.get(name)
    return before is not None and CoreIdentity.of(before) == CoreIdentity.of(state.cores[name])


def _sentence(
    live: dict[str, Observation], from_report: dict[str, str], report: Report, now: datetime
) -> str:
    parts = []
    if live:
        parts.append(f"a live readback of {', '.join(sorted(live))}")
    if from_report:
        cores = ", ".join(f"{name} ({why})" for name, why in sorted(from_report.items()))
        parts.append(f"{report.describe(now)} for {cores}")
    return "; ".join(parts) or "nothing (no Core is declared)"
