"""How a Deploy All run or a Core Action reads: JSON record, Markdown page, table cells.

Pure module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.decide.outcomes import CoreOutcome, Outcome, Run, RunKind


def when(moment: datetime) -> str:
    """A time as people read it in a table: minute precision, UTC."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def cell_text(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


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


def kind_label(run: Run) -> str:
    if run.kind is RunKind.DEPLOY:
        return "Deploy All"
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
            "pipeline": run.pipeline,
            "action": run.action,
            "cores": list(run.target_cores),
        },
        "plan_digest": run.plan_digest,
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
        f"# {kind_label(run)} `{run.id}`: {run.state.value}\n",
        f"- Requested by {cell_text(run.author)} in commit `{run.commit[:12]}` "
        f"at {when(run.requested_at)}",
        f"- Reason: {cell_text(run.reason) or '—'}",
    ]
    if run.plan_digest:
        lines.append(f"- Plan digest: `{run.plan_digest}`")
    if run.expect_plan:
        lines.append(f"- Expected plan: `{run.expect_plan}`")
    if run.note:
        lines.append(f"- Note: {cell_text(run.note)}")
    if run.started_at and run.finished_at:
        seconds = (run.finished_at - run.started_at).total_seconds()
        lines.append(f"- Ran from {when(run.started_at)} for {seconds:.1f} s")
    lines.append("")
    for core in run.cores:
        lines += _core_markdown(core)
    return "\n".join(lines)


def _core_markdown(core: CoreOutcome) -> list[str]:
    lines = [f"## {core.core}: {core.outcome.value}\n"]
    if core.reason:
        lines.append(f"{core.reason}: {cell_text(core.message or '')}\n")
    if core.steps:
        lines += ["| Step | Component | Outcome | Detail |", "|---|---|---|---|"]
        for step in core.steps:
            mark = (
                step.outcome.value if step.outcome is Outcome.DONE else f"**{step.outcome.value}**"
            )
            detail = cell_text(f"{step.reason or ''} {step.message or ''}") or "—"
            lines.append(f"| {step.step} | {step.kind}/{step.name} | {mark} | {detail} |")
        lines.append("")
    elif not core.reason:
        lines.append("Nothing to change.\n")
    return lines
