"""How a plan reads: plain text for a terminal, Markdown for a pull request, JSON for machines.

Pure module.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.decide.components import OpKind
from reconciler.decide.diff import FieldChange
from reconciler.decide.diffview import value_text
from reconciler.decide.markdown import code
from reconciler.decide.plan import CorePlan, Plan

_MARK = {OpKind.CREATE: "+", OpKind.UPDATE: "~", OpKind.DELETE: "-"}


def plan_text(plan: Plan, label: str) -> str:
    """The plan for a terminal: one line per operation, marked +, ~ or -."""
    lines = [f"Plan for {label}: {_totals(plan)}", ""]
    for core in plan.cores:
        lines += _core_text(core)
    digest = plan.digest
    lines += [
        "",
        f"Plan digest: {digest}",
        f"Pin it in a deploy marker with `expect_plan: {digest}`.",
    ]
    return "\n".join(lines) + "\n"


def _busy(plan: Plan) -> int:
    return sum(1 for core in plan.cores if core.operations)


def _totals(plan: Plan) -> str:
    blocked = sum(1 for core in plan.cores if core.blocked is not None)
    text = f"{plan.changes} change(s) on {_busy(plan)} Core(s)"
    return text + (f"; {blocked} Core(s) blocked" if blocked else "")


def _core_text(core: CorePlan) -> list[str]:
    if core.blocked is not None:
        return [f"{core.core}: blocked ({core.blocked.value}): it could not be read back"]
    if not core.operations:
        return [f"{core.core}: no changes"]
    lines = [f"{core.core}: {len(core.operations)} change(s)"]
    for op in core.operations:
        lines.append(f"  {_MARK[op.op]} {op.op.value:<6} {op.kind.value}/{op.name}  ({op.why})")
        lines += [f"      {planned_line(change)}" for change in op.changes]
    return lines


def planned_line(change: FieldChange) -> str:
    """`path: on the Core now -> what the deploy writes`."""
    now = "absent" if change.absent else value_text(change.held)
    return f"{change.path}: {now} -> {value_text(change.expected)}"


def plan_markdown(plan: Plan, label: str) -> str:
    """The plan for a pull request comment or description."""
    lines = [
        f"### Deploy All plan for `{label}`\n",
        f"**{_totals(plan)}**.\n",
        "| Core | Change | Component | Why |",
        "|---|---|---|---|",
    ]
    for core in plan.cores:
        lines += _core_markdown(core)
    lines += [
        "",
        "Plan digest (put it in the deploy marker as `expect_plan` to deploy exactly this):",
        "",
        "```",
        plan.digest,
        "```",
    ]
    return "\n".join(lines) + "\n"


def _core_markdown(core: CorePlan) -> list[str]:
    if core.blocked is not None:
        return [f"| {core.core} | **blocked** | — | {core.blocked.value}: could not be read back |"]
    if not core.operations:
        return [f"| {core.core} | none | — | — |"]
    return [
        f"| {core.core} | {_MARK[op.op]} {op.op.value} | `{op.kind.value}/{op.name}` "
        f"| {op.why}{_fields(op.changes)} |"
        for op in core.operations
    ]


def _fields(changes: tuple[FieldChange, ...]) -> str:
    if not changes:
        return ""
    return ": " + ", ".join(code(change.path, cell=True) for change in changes)


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "revision": plan.revision,
        "digest": plan.digest,
        "changes": plan.changes,
        "cores": [
            {
                "core": core.core,
                "blocked": core.blocked.value if core.blocked else None,
                "operations": [
                    {
                        "op": op.op.value,
                        "kind": op.kind.value,
                        "name": op.name,
                        "why": op.why,
                        "pipelines": list(op.pipelines),
                        "spec": op.body,
                        "changes": [
                            {
                                "path": change.path,
                                "from": change.held,
                                "to": change.expected,
                                "absent": change.absent,
                            }
                            for change in op.changes
                        ],
                    }
                    for op in core.operations
                ],
            }
            for core in plan.cores
        ],
    }


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
