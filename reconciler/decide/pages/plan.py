"""`/plan`: what a Deploy All at the head would do, per Core, with the plan's digest.

The plan is `decide.plan.plan` on what the daemon holds already: the declared state it judged
at the head, its records and its last readback of every Core; the page costs no Core call. So
it is the plan `reconciler plan` prints for the same state (the same digest, to pin with
`expect_plan`), with one difference: a Core that is new or changed in Git is not contacted by the
daemon before a Deploy All, and shows here as blocked (`awaiting-deploy`). A head whose declared
state is refused has no plan: a Deploy All there would be refused too, and the page lists why.
Creates and updates show the spec they write (secret-named values masked); updates the fields
they change. Pure module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.decide.components import OpKind
from reconciler.decide.diff import masked
from reconciler.decide.diffview import value_text
from reconciler.decide.model import DeclaredState
from reconciler.decide.pages.common import component_label, core_href
from reconciler.decide.plan import CorePlan, Operation, plan
from reconciler.decide.report import Refusal, ReportInputs

MARKS = {OpKind.CREATE: "+", OpKind.UPDATE: "~", OpKind.DELETE: "-"}


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """A field an update changes: what the Core holds now, and what the deploy writes."""

    path: str
    now: str
    after: str


@dataclass(frozen=True, slots=True)
class OperationLine:
    mark: str
    op: str
    component: str
    why: str
    pipelines: tuple[str, ...]
    changes: tuple[ChangeLine, ...]
    spec: str
    """The spec it writes, as indented JSON (empty for a delete)."""


@dataclass(frozen=True, slots=True)
class CoreLine:
    core: str
    href: str
    blocked: str
    """Why the Core could not be planned (empty when it could)."""
    operations: tuple[OperationLine, ...]


@dataclass(frozen=True, slots=True)
class PlanPage:
    head: str
    digest: str
    changes: int
    busy: int
    blocked: int
    cores: tuple[CoreLine, ...]
    refused: tuple[str, ...]
    """The problems of a refused head (then there is no plan)."""


def plan_page(
    inputs: ReportInputs, state: DeclaredState | None, head: str, refusal: Refusal | None
) -> PlanPage:
    """The plan of `state` (the head's declared state) against what the daemon last saw."""
    if refusal is not None or state is None:
        problems = refusal.problems if refusal is not None else ("no declared state yet",)
        return PlanPage(head[:12], "", 0, 0, 0, (), tuple(problems))
    found = plan(state, inputs.records, inputs.observations, head)
    return PlanPage(
        head=head[:12],
        digest=found.digest,
        changes=found.changes,
        busy=sum(1 for core in found.cores if core.operations),
        blocked=sum(1 for core in found.cores if core.blocked is not None),
        cores=tuple(core_line(core) for core in found.cores),
        refused=(),
    )


def core_line(core: CorePlan) -> CoreLine:
    return CoreLine(
        core=core.core,
        href=core_href(core.core),
        blocked=core.blocked.value if core.blocked is not None else "",
        operations=tuple(operation_line(op) for op in core.operations),
    )


def operation_line(op: Operation) -> OperationLine:
    changes = tuple(
        ChangeLine(c.path, "absent" if c.absent else value_text(c.held), value_text(c.expected))
        for c in op.changes
    )
    spec = json.dumps(masked(op.body), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return OperationLine(
        mark=MARKS[op.op],
        op=op.op.value,
        component=component_label(op.kind, op.name),
        why=op.why,
        pipelines=op.pipelines,
        changes=changes,
        spec=spec if op.body is not None else "",
    )
