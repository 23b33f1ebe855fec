"""The status reports written back into the repository (SPEC §7), built as file contents.

`status/README.md` is for people on a Git hosting page: the Management → Pipelines table, a
triage section for the rows that need someone, the Cores, and recent requests. `pipelines.json`
is the same for machines (`decide.reportjson`). Runs get their own files, and each Core its
inventory of what was deployed there (`decide.inventory`). How rows and runs read is in
`rowview` and `runview`; this module writes the README and puts the files together.

The report folder is regenerated, never patched: `report_files` is everything it holds, and the
writer removes any other file there. It keeps the records of the newest `RECORDS_KEPT` runs;
the README's "Recent requests" table and the `requests` of `pipelines.json` list the newest
`RECENT_SHOWN` of them. Every value from Git, the ledger or a Core that reaches a Markdown page
goes through `decide.markdown`; every string in a JSON file is valid Unicode.

Volatile values (`generated_at`, a reachable Core's `last_seen`) live only in `pipelines.json`
and are left out of its `content_digest`; the README shows no volatile value at all, so that a
report commit happens only when something a person cares about changed (`reportjson.unchanged`
is the test). Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from reconciler.decide import rowview, runview
from reconciler.decide.components import Key
from reconciler.decide.fragments import Fragments
from reconciler.decide.inventory import inventories
from reconciler.decide.markdown import code, text
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run, RunKind
from reconciler.decide.records import Records
from reconciler.decide.reportjson import (
    RECENT_SHOWN,
    core_problem,
    json_text,
    pipelines_text,
    valid_unicode,
)
from reconciler.decide.rows import Inputs, Row, Status, rows
from reconciler.decide.runview import when
from reconciler.decide.unmanaged import unmanaged_by_core

RECORDS_KEPT = 200
"""How many runs (newest first) keep their records in the report folder. Older records are
removed from it; they live on in Git history and in the ledger."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A newer revision that was not accepted, and why."""

    revision: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportInputs:
    revision: str
    rows: tuple[Row, ...]
    cores: Sequence[str]
    observations: Mapping[str, Observation]
    now: datetime
    interval: timedelta
    unmanaged: Mapping[str, Sequence[Key]] = field(default_factory=dict)
    runs: Sequence[Run] = ()
    refused: Refusal | None = None
    records: Records = field(default_factory=Records)
    """What the rows were judged by; written as each Core's inventory (`decide.inventory`)."""


def report_of(
    inputs: Inputs,
    revision: str,
    runs: Sequence[Run] = (),
    refused: Refusal | None = None,
    made: tuple[Row, ...] | None = None,
) -> ReportInputs:
    """What a report is built from, all derived from the rows' inputs (one `now`, one ledger
    read): the daemon, `once` and `reconciler status` build their reports through this.
    `made` are `rows(inputs)` when the caller has them already (`decide.rowmemo`)."""
    cores = sorted(inputs.state.cores)
    seen = inputs.observations
    declared = inputs.resolved.declared if inputs.resolved is not None else None
    return ReportInputs(
        revision=revision,
        rows=rows(inputs) if made is None else made,
        cores=cores,
        observations={core: seen[core] for core in cores if core in seen},
        now=inputs.now,
        interval=inputs.interval,
        unmanaged=unmanaged_by_core(inputs.state, inputs.records, seen, declared),
        runs=tuple(runs),
        refused=refused,
        records=inputs.records,
    )


def report_files(inputs: ReportInputs, fragments: Fragments | None = None) -> dict[str, str]:
    """Every file of the report folder, by path relative to it: nothing else belongs there.

    `fragments` holds the pieces of earlier reports (`decide.fragments`); the files are the same
    with it or without it."""
    made = fragments or Fragments()
    files = {"pipelines.json": pipelines_text(inputs, made), "README.md": readme(inputs, made)}
    # the inventories of the Cores with records, made again only when the records changed;
    # a declared Core with none has the empty one
    files |= made.made("inventories", inputs.records, partial(_inventories, inputs.records, ()))
    empty = _inventories(Records(), inputs.cores)
    files |= {path: text for path, text in empty.items() if path not in files}
    for run in inputs.runs[:RECORDS_KEPT]:
        files |= made.made("run", run, partial(_run_files, run))
    return files


def _inventories(records: Records, cores: Sequence[str]) -> dict[str, str]:
    found = inventories(records, cores)
    return {path: json_text(valid_unicode(inventory)) for path, inventory in found.items()}


def _run_files(run: Run) -> dict[str, str]:
    files = {runview.record_path(run, "json"): json_text(valid_unicode(runview.run_document(run)))}
    if run.kind is RunKind.DEPLOY:
        files[runview.record_path(run, "md")] = runview.run_markdown(run)
    return files


def readme(inputs: ReportInputs, fragments: Fragments | None = None) -> str:
    """`README.md`: the tables people read on the Git hosting page."""
    parts = [_header(inputs), _refusal(inputs.refused)]
    parts += [runview.rollback_note(inputs.runs, inputs.revision)]
    parts += [rowview.pipelines_table(inputs.rows, fragments)]
    parts += [rowview.triage(inputs.rows, fragments), _cores_table(inputs)]
    parts += [runview.runs_table(inputs.runs[:RECENT_SHOWN])]
    return "\n".join(part for part in parts if part)


def _header(inputs: ReportInputs) -> str:
    counts: dict[Status, int] = {}
    for row in inputs.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = " · ".join(f"{count} {status.value}" for status, count in counts.items())
    return (
        "# Pipeline status\n\n"
        "Generated by the reconciler; do not edit. "
        f"Declared state at {code(inputs.revision[:12])} · {len(inputs.rows)} pipeline(s) · "
        f"{len(inputs.cores)} Core(s)" + (f"\n\nSummary: {summary}" if summary else "") + "\n"
    )


def _refusal(refused: Refusal | None) -> str:
    if refused is None:
        return ""
    lines = [
        f"> **Declared state refused.** Commit {code(refused.revision[:12])} is invalid "
        f"({len(refused.problems)} problem(s)); the last valid state stays in force.",
        ">",
    ]
    lines += [f"> - {code(problem)}" for problem in refused.problems[:20]]
    if len(refused.problems) > 20:
        lines.append(f"> - … and {len(refused.problems) - 20} more (`reconciler validate`)")
    return "\n".join(lines) + "\n"


def _cores_table(inputs: ReportInputs) -> str:
    lines = [
        "## Cores\n",
        "| Core | Reachable | Last seen | Version | Unmanaged components |",
        "|---|---|---|---|---|",
    ]
    lines += [_core_line(inputs, core) for core in inputs.cores]
    return "\n".join(lines) + "\n"


def _core_line(inputs: ReportInputs, core: str) -> str:
    """One Core; its last-seen time is shown only when it is not current (so it never churns)."""
    observation = inputs.observations.get(core)
    problem = core_problem(inputs, observation)
    reachable = bool(observation and observation.reachable)
    if not reachable:
        shown = f"**no**: {text(problem or '')}"
    else:
        shown = f"yes ({text(problem)})" if problem else "yes"
    if reachable and problem is None:
        seen = "current"
    else:
        seen = when(observation.last_seen) if observation and observation.last_seen else "never"
    version = text(observation.version or "") if observation else ""
    names = [
        code(f"{kind.value}/{name}", cell=True) for kind, name in inputs.unmanaged.get(core, [])
    ]
    return f"| {text(core)} | {shown} | {seen} | {version or '—'} | {', '.join(names) or '—'} |"
