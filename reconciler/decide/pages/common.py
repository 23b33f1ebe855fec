"""What every page shares: status slugs and order, links, times, and the data's age.

A status travels in URLs as its slug (`Drift detected` is `drift-detected`), the form the
metrics use too. Links are built here, so that a name is always quoted the same way. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from reconciler.decide.rows import STALE_AFTER_INTERVALS, Status

SEVERITY = (
    Status.DRIFT_DETECTED,
    Status.PENDING_DEPLOYMENT,
    Status.RUNNING,
    Status.READY_TO_START,
    Status.NO_ASSIGNED_CORES,
)
"""Statuses from the one that most needs someone to the calmest: the order of the counts and of
sorting by status."""
NONE = "—"


def slug(status: Status) -> str:
    """`Ready to start` as it travels in a URL: `ready-to-start`."""
    return status.value.lower().replace(" ", "-")


_SINGULAR = {"streams": "stream", "queries": "query", "connectors": "connector", "tasks": "task"}


def component_label(kind: object, name: str) -> str:
    """`connector/web-out`: a component as pages name it (`kind` is a collection name)."""
    plural = str(kind)
    return f"{_SINGULAR.get(plural, plural)}/{name}"


def pipeline_href(name: str) -> str:
    return f"/pipelines/{quote(name, safe='')}"


def core_href(name: str) -> str:
    return f"/cores/{quote(name, safe='')}"


def request_href(record: str) -> str:
    return f"/requests/{quote(record, safe='')}"


def moment(at: datetime | None) -> str:
    """A time as a table shows it: to the second, UTC (`—` when there is none)."""
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else NONE


def duration(seconds: float) -> str:
    """`4 s`, `12 min`, `3 h`, `2 d`: how long, roughly."""
    whole = max(0, int(seconds))
    if whole < 120:
        return f"{whole} s"
    if whole < 7200:
        return f"{whole // 60} min"
    if whole < 172800:
        return f"{whole // 3600} h"
    return f"{whole // 86400} d"


@dataclass(frozen=True, slots=True)
class Freshness:
    """How old the data of a page is when it is served."""

    generated_at: str
    """When the pass or refresh that made the data read the clock (ISO 8601)."""
    generated: str
    age: str
    stale: bool
    """Older than three readback intervals: the daemon has not published for a while."""
    revision: str


def freshness(
    generated_at: datetime, now: datetime, interval: timedelta, revision: str
) -> Freshness:
    age = (now - generated_at).total_seconds()
    return Freshness(
        generated_at=generated_at.isoformat(),
        generated=moment(generated_at),
        age=duration(age),
        stale=age > STALE_AFTER_INTERVALS * interval.total_seconds(),
        revision=revision[:12],
    )
