"""How a Deploy All run or a Core Action reads: JSON record, Markdown page, file names.

A run's records are named after its id only when the id is a valid name (`model.NAME_PATTERN`:
marker ids, the `<id>-<commit>` form a reused id is refused under, `trailer-…` and the `cli-…`
ids of command-line actions all are). Any other id (a marker file named `Release 2.yaml`, an id
too long once renamed, anything with `/`, `..` or a newline) is recorded as `run-` and the first
16 hex digits of its sha256, so that nothing a request says can choose a path. Every value on
the Markdown page goes through `decide.markdown`. Pure module.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reconciler.decide.markdown import code, text
from reconciler.decide.model import NAME_PATTERN
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind

_NAME = re.compile(NAME_PATTERN)


def when(moment: datetime) -> str:
    """A time as people read it in a table: minute precision, UTC."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def record_name(run_id: str) -> str:
    """The file name (without suffix) of a run's records: its id, or `run-<sha256 prefix>`."""
    # fullmatch: the pattern's `$` alone would also accept a trailing newline
    if _NAME.fullmatch(run_id):
        return run_id
    return "run-" + hashlib.sha256(run_id.encode("utf-8", "replace")).hexdigest()[:16]


def record_path(run: Run, suffix: str) -> str:
    """`deployments/<name>.<suffix>` or `actions/<name>.<suffix>`, relative to the report."""
    folder = "deployments" if run.kind is RunKind.DEPLOY else "actions"
    return f"{folder}/{record_name(run.id)}.{suffix}"


def page_path(run: Run) -> str:
    """What a person opens for a run: the Markdown page of a deploy, the record of an action."""
    return record_path(run, "md" if run.kind is RunKind.DEPLOY else "json")


def runs_table(runs: Sequence[Run]) -> str:
    """The README's "Recent requests" table, each request linked to its page."""
    if not runs:
        return ""
    lines = [
        "## Recent requests\n",
        "| Request | Kind | State | Commit | Requested by | Finished |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        cells = [
            f"[{text(run.id)}]({page_path(run)})",
            text(kind_label(run)),
            run.state.value,
            code(run.commit[:12], cell=True),
            text(run.author.split(" <")[0]) or "—",
            when(run.finished_at) if run.finished_at else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def describe(run: Run) -> str:
    """What a request asks, by whom, where: for the one log line when it is taken."""
    what = "Deploy All" if run.kind is RunKind.DEPLOY else f"{run.action} {run.pipeline}"
    cores = f" on {', '.join(run.target_cores)}" if run.target_cores else ""
    return f"{what}{cores} from commit {run.commit[:12]} by {run.author}"


def ending(run: Run) -> str:
    """How a request ended, with the reason or the failing Cores: for its last log line."""
    failed = [
        f"{c.core} ({c.reason or c.outcome.value})"
        for c in run.cores
        if c.outcome is not Outcome.DONE
    ]
    detail = (
        f": {run.note}" if run.note else (f": not done on {', '.join(failed)}" if failed else "")
    )
    return f"{run.state.value}{detail}"


def deployed_revision(run: Run) -> str | None:
    """The commit whose declared state a Deploy All deploys: a rollback's older revision, else
    the marker's own commit (None for a Core Action)."""
    if run.kind is not RunKind.DEPLOY:
        return None
    return run.revision or run.commit


def kind_label(run: Run) -> str:
    if run.kind is RunKind.DEPLOY:
        return f"Rollback to {run.revision[:12]}" if run.revision else "Deploy All"
    return f"{(run.action or '').capitalize()} {run.pipeline}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def run_summary(run: Run) -> dict[str, Any]:
    """The line of a run in `pipelines.json`."""
    return {
        "id": run.id,
        "kind": run.kind.value,
        "state": run.state.value,
        "commit": run.commit,
        "finished_at": _iso(run.finished_at),
    }


def run_document(run: Run) -> dict[str, Any]:
    """`deployments/<id>.json` or `actions/<id>.json`: the whole record of one run."""
    return {
        "id": run.id,
        "kind": run.kind.value,
        "state": run.state.value,
        "request": {
            "commit": run.commit,
            "author": run.author,
            "requested_at": run.requested_at.isoformat(),
            "reason": run.reason,
            "expect_plan": run.expect_plan,
            "revision": run.revision,
            "pipeline": run.pipeline,
            "action": run.action,
            "cores": list(run.target_cores),
        },
        "plan_digest": run.plan_digest,
        "deployed_revision": deployed_revision(run),
        "rollback": run.revision is not None,
        "note": run.note,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "cores": [_core_document(core) for core in run.cores],
    }


def _core_document(core: CoreOutcome) -> dict[str, Any]:
    return {
        "core": core.core,
        "outcome": core.outcome.value,
        "reason": core.reason,
        "message": core.message,
        "started_at": _iso(core.started_at),
        "finished_at": _iso(core.finished_at),
        "steps": [
            {
                "step": step.step,
                "kind": step.kind,
                "name": step.name,
                "outcome": step.outcome.value,
                "reason": step.reason,
                "message": step.message,
            }
            for step in core.steps
        ],
    }


def run_markdown(run: Run) -> str:
    """`deployments/<id>.md`: the run for people."""
    lines = [
        f"# {text(kind_label(run))} {code(run.id)}: {run.state.value}\n",
        f"- Requested by {text(run.author)} in commit {code(run.commit[:12])} "
        f"at {when(run.requested_at)}",
        f"- Reason: {text(run.reason) or '—'}",
    ]
    if run.revision:
        lines.append(
            f"- Rollback: deploys the declared state at {code(run.revision[:12])}, "
            f"not at the marker's commit {code(run.commit[:12])}"
        )
    if run.plan_digest:
        lines.append(f"- Plan digest: {code(run.plan_digest)}")
    if run.expect_plan:
        lines.append(f"- Expected plan: {code(run.expect_plan)}")
    if run.note:
        lines.append(f"- Note: {text(run.note)}")
    if run.started_at and run.finished_at:
        seconds = (run.finished_at - run.started_at).total_seconds()
        lines.append(f"- Ran from {when(run.started_at)} for {seconds:.1f} s")
    lines.append("")
    for core in run.cores:
        lines += _core_markdown(core)
    return "\n".join(lines)


def _core_markdown(core: CoreOutcome) -> list[str]:
    lines = [f"## {text(core.core)}: {core.outcome.value}\n"]
    if core.reason:
        lines.append(text(f"{core.reason}: {core.message or ''}") + "\n")
    if core.steps:
        lines += ["| Step | Component | Outcome | Detail |", "|---|---|---|---|"]
        for step in core.steps:
            mark = (
                step.outcome.value if step.outcome is Outcome.DONE else f"**{step.outcome.value}**"
            )
            detail = text(f"{step.reason or ''} {step.message or ''}") or "—"
            component = text(f"{step.kind}/{step.name}")
            lines.append(f"| {step.step} | {component} | {mark} | {detail} |")
        lines.append("")
    elif not core.reason:
        lines.append("Nothing to change.\n")
    return lines


def rollback_in_force(runs: Sequence[Run]) -> Run | None:
    """The newest Deploy All that deployed something (done or failed), when it is a rollback:
    the Cores then hold an older revision than the head on purpose. `runs` is newest first."""
    for run in runs:
        if run.kind is RunKind.DEPLOY and run.state in (RequestState.DONE, RequestState.FAILED):
            return run if run.revision else None
    return None


def rollback_document(runs: Sequence[Run]) -> dict[str, Any] | None:
    """`rollback` in `pipelines.json`: the rollback in force, or None."""
    run = rollback_in_force(runs)
    if run is None:
        return None
    return {
        "request": run.id,
        "revision": run.revision,
        "commit": run.commit,
        "finished_at": _iso(run.finished_at),
    }


def rollback_note(runs: Sequence[Run], head: str) -> str:
    """The README's warning that the deployed revision is older than the head, on purpose."""
    run = rollback_in_force(runs)
    if run is None or run.revision is None:
        return ""
    return (
        f"> **Rolled back.** Deploy All {code(run.id)} (commit {code(run.commit[:12])}) deployed "
        f"the declared state at {code(run.revision[:12])}, older than the head judged here "
        f"({code(head[:12])}). Cells that read `Pending deployment` because of it are the "
        "rollback in force, not drift; a Deploy All of the head ends it.\n"
    )
