"""The status reports written back into the repository (SPEC §7), built as file contents.

`status/README.md` is for people on a Git hosting page: the Management → Pipelines table, a
triage section for the rows that need someone, the Cores, and recent requests. `pipelines.json`
is the same for machines (schema in `schemas/pipelines.schema.json`). Runs get their own files.

Volatile values (`generated_at`, a reachable Core's `last_seen`) live only in `pipelines.json`
and are left out of its `content_digest`; the README shows no volatile value at all, so that a
report commit happens only when something a person cares about changed. Pure module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reconciler.decide import runview
from reconciler.decide.components import Key
from reconciler.decide.fingerprint import digest
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run, RunKind
from reconciler.decide.rows import STALE_AFTER_INTERVALS, Inputs, Row, Status, rows
from reconciler.decide.runview import when
from reconciler.decide.unmanaged import unmanaged

VOLATILE = ("generated_at", "last_seen")
CALM = (Status.RUNNING, Status.READY_TO_START, Status.NO_ASSIGNED_CORES)


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


def report_of(
    inputs: Inputs, revision: str, runs: Sequence[Run] = (), refused: Refusal | None = None
) -> ReportInputs:
    """What a report is built from, all derived from the rows' inputs (one `now`, one ledger
    read): the daemon, `once` and `reconciler status` build their reports through this."""
    cores = sorted(inputs.state.cores)
    seen = inputs.observations
    return ReportInputs(
        revision=revision,
        rows=rows(inputs),
        cores=cores,
        observations={core: seen[core] for core in cores if core in seen},
        now=inputs.now,
        interval=inputs.interval,
        unmanaged={core: unmanaged(inputs.state, inputs.records, seen, core) for core in cores},
        runs=tuple(runs),
        refused=refused,
    )


def report_files(inputs: ReportInputs) -> dict[str, str]:
    """Every report file, by path relative to the report folder."""
    document = pipelines_document(inputs)
    files = {"pipelines.json": json_text(document), "README.md": readme(inputs)}
    for run in inputs.runs:
        folder = "deployments" if run.kind is RunKind.DEPLOY else "actions"
        files[f"{folder}/{run.id}.json"] = json_text(runview.run_document(run))
        if run.kind is RunKind.DEPLOY:
            files[f"{folder}/{run.id}.md"] = runview.run_markdown(run)
    return files


def json_text(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def pipelines_document(inputs: ReportInputs) -> dict[str, Any]:
    """`pipelines.json`: the rows and Cores as data, with a digest of what is not volatile."""
    document: dict[str, Any] = {
        "revision": inputs.revision,
        "generated_at": inputs.now.isoformat(),
        "refused": _refusal_document(inputs.refused),
        "pipelines": [_row_document(row) for row in inputs.rows],
        "cores": [_core_document(inputs, core) for core in inputs.cores],
        "requests": [runview.run_summary(run) for run in inputs.runs],
    }
    document["content_digest"] = content_digest(document)
    return document


def content_digest(document: Mapping[str, Any]) -> str:
    """The digest of a `pipelines.json` document without its volatile values."""
    stable = {
        key: value for key, value in document.items() if key not in (*VOLATILE, "content_digest")
    }
    stable["cores"] = [
        {key: value for key, value in core.items() if key not in VOLATILE}
        for core in document.get("cores", [])
    ]
    return digest(stable)


def _refusal_document(refused: Refusal | None) -> dict[str, Any] | None:
    if refused is None:
        return None
    return {"revision": refused.revision, "problems": list(refused.problems)}


def _row_document(row: Row) -> dict[str, Any]:
    return {
        "pipeline": row.pipeline,
        "status": row.status.value,
        "tags": [tag.value for tag in row.tags],
        "declared": row.declared,
        "cores": [
            {
                "core": cell.core,
                "assigned": cell.assigned,
                "deployment": cell.deployment.value,
                "runtime": cell.runtime.value,
                "deployed_revision": cell.deployed_revision,
                "deployed_at": cell.deployed_at.isoformat() if cell.deployed_at else None,
                "last_error": cell.last_error,
            }
            for cell in row.cells
        ],
    }


def _core_document(inputs: ReportInputs, core: str) -> dict[str, Any]:
    observation = inputs.observations.get(core)
    last_seen = observation.last_seen if observation else None
    return {
        "name": core,
        "reachable": bool(observation and observation.reachable),
        "last_seen": last_seen.isoformat() if last_seen else None,
        "version": observation.version if observation else None,
        "problem": _core_problem(inputs, observation),
        "unmanaged_components": [
            f"{kind.value}/{name}" for kind, name in inputs.unmanaged.get(core, [])
        ],
    }


def _core_problem(inputs: ReportInputs, observation: Observation | None) -> str | None:
    if observation is None:
        return "not read back yet"
    if not observation.reachable:
        reason = observation.reason.value if observation.reason else "unreachable"
        return f"{reason}: {observation.message}" if observation.message else reason
    if (
        observation.last_seen
        and inputs.now - observation.last_seen > STALE_AFTER_INTERVALS * inputs.interval
    ):
        return "readback stale"
    return None


def readme(inputs: ReportInputs) -> str:
    """`README.md`: the tables people read on the Git hosting page."""
    parts = [_header(inputs), _refusal(inputs.refused), _pipelines_table(inputs.rows)]
    parts += [_triage(inputs.rows), _cores_table(inputs), _runs_table(inputs.runs)]
    return "\n".join(part for part in parts if part)


def _header(inputs: ReportInputs) -> str:
    counts: dict[Status, int] = {}
    for row in inputs.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = " · ".join(f"{count} {status.value}" for status, count in counts.items())
    return (
        "# Pipeline status\n\n"
        "Generated by the reconciler; do not edit. "
        f"Declared state at `{inputs.revision[:12]}` · {len(inputs.rows)} pipeline(s) · "
        f"{len(inputs.cores)} Core(s)" + (f"\n\nSummary: {summary}" if summary else "") + "\n"
    )


def _refusal(refused: Refusal | None) -> str:
    if refused is None:
        return ""
    lines = [
        f"> **Declared state refused.** Commit `{refused.revision[:12]}` is invalid "
        f"({len(refused.problems)} problem(s)); the last valid state stays in force.",
        ">",
    ]
    lines += [f"> - `{problem}`" for problem in refused.problems[:20]]
    if len(refused.problems) > 20:
        lines.append(f"> - … and {len(refused.problems) - 20} more (`reconciler validate`)")
    return "\n".join(lines) + "\n"


def _pipelines_table(rows: Sequence[Row]) -> str:
    lines = [
        "## Management → Pipelines\n",
        "| Pipeline | Status | Cores | Tags | Deployed revision | Last deploy |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cores = ", ".join(c.core if c.assigned else f"~~{c.core}~~" for c in row.cells) or "—"
        tags = " ".join(f"`{tag.value}`" for tag in row.tags) or "—"
        revisions = {c.deployed_revision[:12] for c in row.cells if c.deployed_revision}
        revision = "mixed" if len(revisions) > 1 else (f"`{revisions.pop()}`" if revisions else "—")
        deployed = [c.deployed_at for c in row.cells if c.deployed_at]
        name = row.pipeline if row.declared else f"{row.pipeline} (removed)"
        status = f"**{row.status.value}**" if row.status not in CALM else row.status.value
        last = when(max(deployed)) if deployed else "—"
        lines.append(f"| {name} | {status} | {cores} | {tags} | {revision} | {last} |")
    return "\n".join(lines) + "\n"


def _triage(rows: Sequence[Row]) -> str:
    needing = [row for row in rows if row.status not in CALM or row.tags]
    if not needing:
        return ""
    lines = ["## Needs attention\n"]
    for row in needing:
        lines += [f"### {row.pipeline}: {row.status.value}\n"]
        lines += [
            "| Core | Assigned | Deployment | Runtime | Last error |",
            "|---|---|---|---|---|",
        ]
        for c in row.cells:
            error = runview.cell_text(c.last_error) if c.last_error else "—"
            assigned = "yes" if c.assigned else "no (remove)"
            lines.append(
                f"| {c.core} | {assigned} | {c.deployment.value} | {c.runtime.value} | {error} |"
            )
        lines.append("")
    return "\n".join(lines)


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
    problem = _core_problem(inputs, observation)
    reachable = bool(observation and observation.reachable)
    if not reachable:
        shown = f"**no**: {runview.cell_text(problem or '')}"
    else:
        shown = f"yes ({problem})" if problem else "yes"
    if reachable and problem is None:
        seen = "current"
    else:
        seen = when(observation.last_seen) if observation and observation.last_seen else "never"
    version = observation.version if observation and observation.version else "—"
    names = [f"`{kind.value}/{name}`" for kind, name in inputs.unmanaged.get(core, [])]
    return f"| {core} | {shown} | {seen} | {version} | {', '.join(names) or '—'} |"


def _runs_table(runs: Sequence[Run]) -> str:
    if not runs:
        return ""
    lines = [
        "## Recent requests\n",
        "| Request | Kind | State | Commit | Requested by | Finished |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        folder = "deployments" if run.kind is RunKind.DEPLOY else "actions"
        suffix = "md" if run.kind is RunKind.DEPLOY else "json"
        finished = when(run.finished_at) if run.finished_at else "—"
        author = runview.cell_text(run.author.split(" <")[0])
        cells = [
            f"[{run.id}]({folder}/{run.id}.{suffix})",
            runview.kind_label(run),
            run.state.value,
            f"`{run.commit[:12]}`",
            author,
            finished,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
