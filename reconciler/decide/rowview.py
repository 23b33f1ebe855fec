"""How rows read in the README: the Management → Pipelines table and the triage section.

A row that is not calm (drift, pending) shows its status in bold; a row that is not calm or
carries a tag gets a triage table of its cells. Every name and error goes through
`decide.markdown`. Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from reconciler.decide.fragments import Fragments
from reconciler.decide.markdown import code, text
from reconciler.decide.rows import CALM, CellView, Row, needs_attention
from reconciler.decide.runview import when

DRIFT_SHOWN = 3
"""Drifted components named in a triage cell; `pipelines.json` and `reconciler diff` list all."""


def pipelines_table(rows: Sequence[Row], fragments: Fragments | None = None) -> str:
    """The Management → Pipelines table: one line per row (each made once, in `fragments`)."""
    made = fragments or Fragments()
    lines = [
        "## Management → Pipelines\n",
        "| Pipeline | Status | Cores | Tags | Deployed revision | Last deploy |",
        "|---|---|---|---|---|---|",
    ]
    lines += [made.made("line", row, partial(_pipeline_line, row)) for row in rows]
    return "\n".join(lines) + "\n"


def _pipeline_line(row: Row) -> str:
    cores = ", ".join(text(c.core) if c.assigned else f"~~{text(c.core)}~~" for c in row.cells)
    tags = " ".join(code(tag.value, cell=True) for tag in row.tags) or "—"
    revisions = {c.deployed_revision[:12] for c in row.cells if c.deployed_revision}
    revision = "mixed" if len(revisions) > 1 else "—"
    if len(revisions) == 1:
        revision = code(revisions.pop(), cell=True)
    deployed = [c.deployed_at for c in row.cells if c.deployed_at]
    name = text(row.pipeline) if row.declared else f"{text(row.pipeline)} (removed)"
    status = f"**{row.status.value}**" if row.status not in CALM else row.status.value
    last = when(max(deployed)) if deployed else "—"
    return f"| {name} | {status} | {cores or '—'} | {tags} | {revision} | {last} |"


def triage(rows: Sequence[Row], fragments: Fragments | None = None) -> str:
    """ "Needs attention": a heading and a table of cells for each row that needs someone."""
    needing = [row for row in rows if needs_attention(row)]
    if not needing:
        return ""
    made = fragments or Fragments()
    lines = ["## Needs attention\n"]
    lines += [made.made("triage", row, partial(_triage, row)) for row in needing]
    return "\n".join(lines)


def _triage(row: Row) -> str:
    lines = [f"### {text(row.pipeline)}: {row.status.value}\n"]
    lines += [
        "| Core | Assigned | Deployment | Runtime | What differs | Last error |",
        "|---|---|---|---|---|---|",
    ]
    for c in row.cells:
        error = text(c.last_error or "") or "—"
        assigned = "yes" if c.assigned else "no (remove)"
        lines.append(
            f"| {text(c.core)} | {assigned} | {c.deployment.value} | {c.runtime.value} "
            f"| {_differs(c)} | {error} |"
        )
    lines.append("")
    return "\n".join(lines)


def _differs(cell: CellView) -> str:
    """The drifted components of a cell, shortly: `connector/out missing; task/t: query`."""
    if not cell.drift:
        return "—"
    shown = "; ".join(component.summary for component in cell.drift[:DRIFT_SHOWN])
    more = len(cell.drift) - DRIFT_SHOWN
    return text(shown + (f"; and {more} more" if more > 0 else ""))
