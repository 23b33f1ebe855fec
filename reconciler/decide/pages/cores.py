"""`/cores` and `/cores/NAME`: each Core as the last readback saw it.

A Core's line says whether it answered, when it was last seen, its version, how many components
it holds, and how many of those nobody declared and this reconciler never wrote (unmanaged:
`decide.unmanaged`). Its page lists every component with its runtime state, whether this
reconciler wrote it, and the pipelines its metadata names, then the pipelines' cells on it.
A Core that stops answering keeps its last readback, flagged (`decide.rows`). Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.decide.components import Key
from reconciler.decide.observed import ObservedComponent
from reconciler.decide.pages.common import (
    NONE,
    component_label,
    core_href,
    moment,
    pipeline_href,
    slug,
)
from reconciler.decide.report import ReportInputs
from reconciler.decide.reportjson import core_problem


@dataclass(frozen=True, slots=True)
class CoreLine:
    name: str
    href: str
    reachable: bool
    problem: str
    last_seen: str
    version: str
    components: int
    unmanaged: int
    pipelines: int


@dataclass(frozen=True, slots=True)
class ComponentLine:
    component: str
    state: str
    managed: bool
    unmanaged: bool
    """Nobody declared it and this reconciler never wrote it."""
    pipelines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CoreCell:
    """A pipeline's cell on this Core."""

    pipeline: str
    href: str
    status: str
    status_slug: str
    assigned: bool
    deployment: str
    runtime: str


@dataclass(frozen=True, slots=True)
class CorePage:
    line: CoreLine
    components: tuple[ComponentLine, ...]
    cells: tuple[CoreCell, ...]


def core_lines(inputs: ReportInputs) -> tuple[CoreLine, ...]:
    return tuple(core_line(inputs, core) for core in inputs.cores)


def core_line(inputs: ReportInputs, core: str) -> CoreLine:
    observation = inputs.observations.get(core)
    return CoreLine(
        name=core,
        href=core_href(core),
        reachable=bool(observation and observation.reachable),
        problem=core_problem(inputs, observation) or NONE,
        last_seen=moment(observation.last_seen if observation else None),
        version=(observation.version if observation else None) or NONE,
        components=len(observation.components) if observation else 0,
        unmanaged=len(inputs.unmanaged.get(core, ())),
        pipelines=sum(1 for row in inputs.rows for cell in row.cells if cell.core == core),
    )


def core_page(inputs: ReportInputs, core: str) -> CorePage | None:
    """The page of one declared Core, or None for a name the report does not know."""
    if core not in inputs.cores:
        return None
    observation = inputs.observations.get(core)
    held = observation.components if observation else {}
    unmanaged = set(inputs.unmanaged.get(core, ()))
    components = tuple(
        component_line(held[key], key in unmanaged) for key in sorted(held, key=_order)
    )
    cells = tuple(
        CoreCell(
            row.pipeline,
            pipeline_href(row.pipeline),
            row.status.value,
            slug(row.status),
            cell.assigned,
            cell.deployment.value,
            cell.runtime.value,
        )
        for row in inputs.rows
        for cell in row.cells
        if cell.core == core
    )
    return CorePage(core_line(inputs, core), components, cells)


def _order(key: Key) -> tuple[str, str]:
    return (key[0].value, key[1])


def component_line(component: ObservedComponent, unmanaged: bool) -> ComponentLine:
    pipelines = component.metadata.get("pipelines", [])
    named = tuple(p for p in pipelines if isinstance(p, str)) if isinstance(pipelines, list) else ()
    return ComponentLine(
        component=component_label(component.kind, component.name),
        state=component.state.value if component.state else NONE,
        managed=component.managed,
        unmanaged=unmanaged,
        pipelines=named,
    )
