"""`/`: the Management → Pipelines table, its summary counts, filters and sorting.

Everything a view of the table depends on is in its URL, so that a link can be shared:

    ?status=drift-detected&status=pending-deployment   any of these statuses (slugs)
    &tag=core-unreachable                               any of these tags
    &core=edge-eu-1                                     a cell on any of these Cores
    &q=web                                              the name contains this (any case)
    &attention=1                                        only rows that need someone
    &sort=pipeline|status|cores|deployed&order=desc     sorting (default: attention first)

Filters of different keys all apply; the values of one key are alternatives. An unknown value
matches nothing (the table says so), and a value is bounded (`MAX_VALUE` characters, `MAX_VALUES`
per key) so a crafted link costs nothing. By default the rows that need someone come first (a
status that is not calm, or any tag: `rows.needs_attention`), worst status first, then by name.
The summary counts every row, whatever the filters. Pure module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from reconciler.decide.pages.common import NONE, SEVERITY, core_href, moment, pipeline_href, slug
from reconciler.decide.rows import Row, Tag, needs_attention

SORTS = ("attention", "pipeline", "status", "cores", "deployed")
MAX_VALUE = 100
MAX_VALUES = 20
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Filters:
    """A view of the table, as its URL says it."""

    statuses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cores: tuple[str, ...] = ()
    name: str = ""
    attention: bool = False
    sort: str = "attention"
    descending: bool = False

    @property
    def active(self) -> bool:
        """Whether any filter (not sorting) narrows the table."""
        return bool(self.statuses or self.tags or self.cores or self.name or self.attention)

    def query(self) -> str:
        """The URL query that gives this view (`?…`, or empty for the default view)."""
        pairs = [("status", s) for s in self.statuses] + [("tag", t) for t in self.tags]
        pairs += [("core", c) for c in self.cores]
        pairs += [("q", self.name)] if self.name else []
        pairs += [("attention", "1")] if self.attention else []
        pairs += [("sort", self.sort)] if self.sort != "attention" else []
        pairs += [("order", "desc")] if self.descending else []
        return "?" + urlencode(pairs) if pairs else ""

    def href(self) -> str:
        return "/" + self.query()


def filters_from(params: Iterable[tuple[str, str]]) -> Filters:
    """The view a URL's query asks for; what it cannot mean is left out."""
    values: dict[str, list[str]] = {}
    for key, value in params:
        kept = values.setdefault(key, [])
        if len(kept) < MAX_VALUES and value.strip():
            kept.append(value.strip()[:MAX_VALUE])
    sort = (values.get("sort") or ["attention"])[0]
    return Filters(
        statuses=_unique(values.get("status", [])),
        tags=_unique(values.get("tag", [])),
        cores=_unique(values.get("core", [])),
        name=(values.get("q") or [""])[0],
        attention=(values.get("attention") or [""])[0] in ("1", "true", "yes", "on"),
        sort=sort if sort in SORTS else "attention",
        descending=(values.get("order") or [""])[0] == "desc",
    )


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True, slots=True)
class CoreMark:
    """A Core in a row's Cores column; one it is no longer assigned to is being removed."""

    name: str
    assigned: bool
    href: str


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the table."""

    pipeline: str
    href: str
    status: str
    status_slug: str
    attention: bool
    declared: bool
    cores: tuple[CoreMark, ...]
    tags: tuple[str, ...]
    revision: str
    last_deploy: str
    last_deploy_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Option:
    """A value a filter can take, whether the view has it on, and how many rows have it."""

    value: str
    label: str
    selected: bool
    count: int = 0


@dataclass(frozen=True, slots=True)
class Heading:
    """A sortable column heading: its link, and `ascending`/`descending` when sorted by it."""

    label: str
    href: str
    sorted: str | None


@dataclass(frozen=True, slots=True)
class Count:
    """One status in the summary, linked to the table filtered to it."""

    status: str
    status_slug: str
    count: int
    href: str


@dataclass(frozen=True, slots=True)
class Table:
    lines: tuple[Line, ...]
    total: int
    counts: tuple[Count, ...]
    attention: int
    filters: Filters
    headings: tuple[Heading, ...]
    statuses: tuple[Option, ...]
    tags: tuple[Option, ...]
    """The tags some row carries, and any the view filters by."""
    cores: tuple[Option, ...]
    unknown: tuple[str, ...]
    """Filter values that name no status, tag or Core: the table says they match nothing."""


def line(row: Row) -> Line:
    revisions = {c.deployed_revision[:12] for c in row.cells if c.deployed_revision}
    revision = revisions.pop() if len(revisions) == 1 else ("mixed" if revisions else NONE)
    deployed = [c.deployed_at for c in row.cells if c.deployed_at]
    latest = max(deployed) if deployed else None
    return Line(
        pipeline=row.pipeline,
        href=pipeline_href(row.pipeline),
        status=row.status.value,
        status_slug=slug(row.status),
        attention=needs_attention(row),
        declared=row.declared,
        cores=tuple(CoreMark(c.core, c.assigned, core_href(c.core)) for c in row.cells),
        tags=tuple(tag.value for tag in row.tags),
        revision=revision,
        last_deploy=moment(latest),
        last_deploy_at=latest,
    )


def matches(line: Line, filters: Filters) -> bool:
    """Whether a row is in the view: every key that is set has one of its values."""
    checks = (
        not filters.statuses or line.status_slug in filters.statuses,
        not filters.tags or any(tag in filters.tags for tag in line.tags),
        not filters.cores or any(core.name in filters.cores for core in line.cores),
        not filters.name or filters.name.lower() in line.pipeline.lower(),
        not filters.attention or line.attention,
    )
    return all(checks)


_SEVERITY = {slug(status): rank for rank, status in enumerate(SEVERITY)}
_KEYS: dict[str, Callable[[Line], tuple[object, ...]]] = {
    "attention": lambda ln: (not ln.attention, _SEVERITY[ln.status_slug], ln.pipeline),
    "pipeline": lambda ln: (ln.pipeline,),
    "status": lambda ln: (_SEVERITY[ln.status_slug], ln.pipeline),
    "cores": lambda ln: (len(ln.cores), ln.pipeline),
    "deployed": lambda ln: (ln.last_deploy_at or _EARLIEST, ln.pipeline),
}


def table(rows: Sequence[Row], cores: Sequence[str], filters: Filters) -> Table:
    """The table as `filters` has it, with the summary of every row."""
    every = [line(row) for row in rows]
    shown = sorted(
        (ln for ln in every if matches(ln, filters)),
        key=_KEYS[filters.sort],
        reverse=filters.descending,
    )
    return Table(
        lines=tuple(shown),
        total=len(every),
        counts=_counts(every, filters),
        attention=sum(1 for ln in every if ln.attention),
        filters=filters,
        headings=_headings(filters),
        statuses=_options(filters.statuses, [slug(s) for s in SEVERITY], every, _status_of),
        tags=tuple(
            option
            for option in _options(filters.tags, [t.value for t in Tag], every, _tags_of)
            if option.count or option.selected
        ),
        cores=_options(filters.cores, list(cores), every, lambda ln: [c.name for c in ln.cores]),
        unknown=_unknown(filters, cores),
    )


def _status_of(line: Line) -> tuple[str, ...]:
    return (line.status_slug,)


def _tags_of(line: Line) -> tuple[str, ...]:
    return line.tags


def _counts(every: Sequence[Line], filters: Filters) -> tuple[Count, ...]:
    found = []
    for status in SEVERITY:
        count = sum(1 for ln in every if ln.status_slug == slug(status))
        if count:
            view = Filters(statuses=(slug(status),), sort=filters.sort)
            found.append(Count(status.value, slug(status), count, view.href()))
    return tuple(found)


def _headings(filters: Filters) -> tuple[Heading, ...]:
    found = []
    for key, label in (
        ("pipeline", "Pipeline"),
        ("status", "Status"),
        ("cores", "Cores"),
        ("deployed", "Last deploy"),
    ):
        current = filters.sort == key
        flipped = replace(filters, sort=key, descending=current and not filters.descending)
        state = ("descending" if filters.descending else "ascending") if current else None
        found.append(Heading(label, flipped.href(), state))
    return tuple(found)


def _options(
    selected: Sequence[str],
    known: Sequence[str],
    every: Sequence[Line],
    values: Callable[[Line], Iterable[str]],
) -> tuple[Option, ...]:
    labels = {slug(s): s.value for s in SEVERITY}
    return tuple(
        Option(
            value,
            labels.get(value, value),
            value in selected,
            sum(1 for ln in every if value in values(ln)),
        )
        for value in known
    )


def _unknown(filters: Filters, cores: Sequence[str]) -> tuple[str, ...]:
    statuses = {slug(s) for s in SEVERITY}
    tags = {t.value for t in Tag}
    return (
        tuple(f"status {s}" for s in filters.statuses if s not in statuses)
        + tuple(f"tag {t}" for t in filters.tags if t not in tags)
        + tuple(f"core {c}" for c in filters.cores if c not in cores)
    )
