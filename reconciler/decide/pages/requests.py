"""`/requests` and `/requests/ID`: Deploy All and Core Action history, with per-Core steps.

The history is the runs the report keeps (the newest `report.RECORDS_KEPT`, newest first). A
run's page is found by its record name (`runview.record_name`: its id when that is a valid
name, else `run-<hash>`), the same name its files have in the report folder, so a URL never
carries what a marker file chose. Authors show by name only, as in the report. Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.decide.outcomes import CoreOutcome, Outcome, Run
from reconciler.decide.pages.common import NONE, component_label, core_href, moment, request_href
from reconciler.decide.runview import kind_label, record_name


@dataclass(frozen=True, slots=True)
class RequestLine:
    id: str
    href: str
    kind: str
    state: str
    commit: str
    author: str
    requested_at: str
    finished_at: str


@dataclass(frozen=True, slots=True)
class StepLine:
    step: str
    component: str
    outcome: str
    failed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class CoreSteps:
    core: str
    href: str
    outcome: str
    failed: bool
    detail: str
    started_at: str
    finished_at: str
    steps: tuple[StepLine, ...]


@dataclass(frozen=True, slots=True)
class RequestPage:
    line: RequestLine
    reason: str
    note: str
    plan_digest: str
    expect_plan: str
    targets: tuple[str, ...]
    started_at: str
    took: str
    cores: tuple[CoreSteps, ...]


def request_line(run: Run) -> RequestLine:
    return RequestLine(
        id=run.id,
        href=request_href(record_name(run.id)),
        kind=kind_label(run),
        state=run.state.value,
        commit=run.commit[:12],
        author=run.author.split(" <")[0] or NONE,
        requested_at=moment(run.requested_at),
        finished_at=moment(run.finished_at),
    )


def request_lines(runs: Sequence[Run]) -> tuple[RequestLine, ...]:
    return tuple(request_line(run) for run in runs)


def request_page(runs: Sequence[Run], record: str) -> RequestPage | None:
    """The page of the run whose record name is `record`, or None when there is none."""
    found = next((run for run in runs if record_name(run.id) == record), None)
    if found is None:
        return None
    took = NONE
    if found.started_at and found.finished_at:
        took = f"{(found.finished_at - found.started_at).total_seconds():.1f} s"
    return RequestPage(
        line=request_line(found),
        reason=found.reason or NONE,
        note=found.note or NONE,
        plan_digest=found.plan_digest or NONE,
        expect_plan=found.expect_plan or NONE,
        targets=found.target_cores,
        started_at=moment(found.started_at),
        took=took,
        cores=tuple(core_steps(core) for core in found.cores),
    )


def core_steps(core: CoreOutcome) -> CoreSteps:
    detail = f"{core.reason or ''} {core.message or ''}".strip()
    return CoreSteps(
        core=core.core,
        href=core_href(core.core),
        outcome=core.outcome.value,
        failed=core.outcome is not Outcome.DONE,
        detail=detail or NONE,
        started_at=moment(core.started_at),
        finished_at=moment(core.finished_at),
        steps=tuple(
            StepLine(
                str(step.step),
                component_label(step.kind, step.name),
                step.outcome.value,
                step.outcome is not Outcome.DONE,
                f"{step.reason or ''} {step.message or ''}".strip() or NONE,
            )
            for step in core.steps
        ),
    )
