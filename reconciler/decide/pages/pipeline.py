"""`/pipelines/NAME`: one row's cells, its drifted components field by field, and how to act.

The page never acts. For Start, Stop and Restart it shows the exact command to run in a clone
(`reconciler action start NAME`, on every Core the pipeline is assigned to; `--core NAME` narrows
it) and the Core Action marker to commit instead, under an id made from the verb, the pipeline
and the minute (`start-web-errors-20261128-0957`, at most 63 characters), so that the change goes
through Git like every other. A pipeline that is no longer declared gets no hints: a Deploy All
removes it. Drift shows, per Core, each component the Core does not hold as deployed: missing,
or each field with the deployed and the observed value (secret-named values masked already by
`decide.diff`, long values cut by `decide.diffview`). Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.decide.diff import ComponentDrift
from reconciler.decide.diffview import value_text
from reconciler.decide.model import ActionVerb
from reconciler.decide.pages.common import NONE, component_label, core_href, moment, slug
from reconciler.decide.rows import CellView, Row, needs_attention

MAX_ID = 63


@dataclass(frozen=True, slots=True)
class CellLine:
    """One (pipeline, Core) cell."""

    core: str
    href: str
    assigned: bool
    deployment: str
    runtime: str
    revision: str
    deployed_at: str
    last_error: str
    drifted: bool


@dataclass(frozen=True, slots=True)
class FieldLine:
    """One field that differs: deployed against observed (`absent`: the Core lost the field)."""

    path: str
    deployed: str
    observed: str


@dataclass(frozen=True, slots=True)
class DriftLine:
    """One component a Core does not hold as deployed."""

    component: str
    missing: bool
    fields: tuple[FieldLine, ...]


@dataclass(frozen=True, slots=True)
class CellDrift:
    core: str
    href: str
    components: tuple[DriftLine, ...]


@dataclass(frozen=True, slots=True)
class ActionHint:
    """How to Start, Stop or Restart the pipeline: the command, or the marker to commit."""

    verb: str
    label: str
    command: str
    marker_path: str
    marker: str


@dataclass(frozen=True, slots=True)
class PipelinePage:
    pipeline: str
    status: str
    status_slug: str
    attention: bool
    declared: bool
    tags: tuple[str, ...]
    cells: tuple[CellLine, ...]
    drift: tuple[CellDrift, ...]
    actions: tuple[ActionHint, ...]


def pipeline_page(row: Row, now: datetime) -> PipelinePage:
    return PipelinePage(
        pipeline=row.pipeline,
        status=row.status.value,
        status_slug=slug(row.status),
        attention=needs_attention(row),
        declared=row.declared,
        tags=tuple(tag.value for tag in row.tags),
        cells=tuple(cell_line(cell) for cell in row.cells),
        drift=tuple(
            CellDrift(c.core, core_href(c.core), tuple(drift_line(d) for d in c.drift))
            for c in row.cells
            if c.drift
        ),
        actions=tuple(action_hint(row.pipeline, verb, now) for verb in ActionVerb)
        if row.declared
        else (),
    )


def cell_line(cell: CellView) -> CellLine:
    return CellLine(
        core=cell.core,
        href=core_href(cell.core),
        assigned=cell.assigned,
        deployment=cell.deployment.value,
        runtime=cell.runtime.value,
        revision=cell.deployed_revision[:12] if cell.deployed_revision else NONE,
        deployed_at=moment(cell.deployed_at),
        last_error=cell.last_error or NONE,
        drifted=bool(cell.drift),
    )


def drift_line(component: ComponentDrift) -> DriftLine:
    fields = tuple(
        FieldLine(
            change.path,
            value_text(change.expected),
            "absent" if change.absent else value_text(change.held),
        )
        for change in component.fields
    )
    return DriftLine(component_label(component.kind, component.name), component.missing, fields)


def marker_id(verb: ActionVerb, pipeline: str, now: datetime) -> str:
    """`start-web-errors-20261128-0957`: a valid, readable id, unique to the minute."""
    stamp = now.strftime("%Y%m%d-%H%M")
    return f"{verb.value}-{pipeline}"[: MAX_ID - len(stamp) - 1] + f"-{stamp}"


def action_hint(pipeline: str, verb: ActionVerb, now: datetime) -> ActionHint:
    marker = marker_id(verb, pipeline, now)
    return ActionHint(
        verb=verb.value,
        label=verb.value.capitalize(),
        command=f"reconciler action {verb.value} {pipeline}",
        marker_path=f"actions/{marker}.yaml",
        marker=(
            "apiVersion: reconciler/v1\n"
            "kind: CoreAction\n"
            f"id: {marker}\n"
            f"action: {verb.value}\n"
            f"pipeline: {pipeline}\n"
        ),
    )
