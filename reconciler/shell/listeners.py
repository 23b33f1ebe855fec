"""Pass listeners: whatever observes passes (metrics, commit statuses, a live page) hears it here.

The orchestrator and the daemon say what happened as `PassEvent` values and never call a metrics
library, a Git host or a page themselves; adding an observer means adding a listener, not editing
the orchestrator. A listener is anything with `heard(event)`. It must return quickly and never
block (work that talks to the network goes to a task or a queue of its own) and it cannot
change a pass: `Listeners` tells every listener in turn, and one that raises is logged and
skipped, so a broken observer never breaks a pass.

Events, by who tells them:

    orchestrator  Judged, FilesRead, Observed, RequestsRecorded, RunsFinished, Rows,
                  ReportPushed
    session       Leadership, ShardLease (the leases of replicas on PostgreSQL)
    daemon        Triggered, PassStarted, PassFinished, PassFailed, ReadbackRefreshed,
                  SourceFailed, SourceAnswered, Readiness, WebhookReceived, Stopping
    Git host      ForgeAnswered, ForgeRetried (`reconciler.shell.forge`)

I/O module (logging).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run
from reconciler.decide.report import Refusal, ReportInputs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Triggered:
    """Something asked for a fetch: `watch`, `interval`, `webhook`, `retry` or `start`."""

    reason: str


@dataclass(frozen=True, slots=True)
class PassStarted:
    """The worker began a poll (a fetch, and a pass when the source moved)."""


@dataclass(frozen=True, slots=True)
class PassFinished:
    """A poll ended well: `changed` when a whole pass ran, after `seconds`."""

    changed: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class PassFailed:
    """A pass raised something unexpected (logged with its traceback); it is retried."""

    error: str


@dataclass(frozen=True, slots=True)
class Judged:
    """The head a pass judged, the revision in force, and why the head was refused if it was."""

    head: str
    revision: str
    refusal: Refusal | None


@dataclass(frozen=True, slots=True)
class FilesRead:
    """Reading the declared state parsed `parsed` files and reused `reused` unchanged ones."""

    parsed: int
    reused: int


@dataclass(frozen=True, slots=True)
class Observed:
    """One Core was read back (or failed to be: `observation.reachable` says)."""

    observation: Observation


@dataclass(frozen=True, slots=True)
class RequestsRecorded:
    """Requests new in the source, each recorded (claimed, refused or superseded)."""

    runs: tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class RunsFinished:
    """Requests a pass ran, with their per-Core outcomes (a shutdown leaves some unfinished)."""

    runs: tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows and everything else the report is built from, before it is written."""

    report: ReportInputs


@dataclass(frozen=True, slots=True)
class ReportPushed:
    """A report commit was made: pushed, or rejected because the branch moved."""

    commit: str
    pushed: bool


@dataclass(frozen=True, slots=True)
class ReadbackRefreshed:
    """A scheduled readback refresh ran."""


@dataclass(frozen=True, slots=True)
class SourceFailed:
    """The Git source could not be fetched or pushed to; it is retried with backoff."""

    message: str


@dataclass(frozen=True, slots=True)
class SourceAnswered:
    """The Git source answered a fetch."""


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the daemon is ready (a pass completed and the source answers)."""

    ready: bool


@dataclass(frozen=True, slots=True)
class WebhookReceived:
    """A webhook delivery arrived: `accepted` when its signature was right."""

    accepted: bool


@dataclass(frozen=True, slots=True)
class Leadership:
    """This replica took its lease (`active`, at `epoch`) or lost it; `takeover`: it took the
    lease from another replica (the epoch moved past the first)."""

    active: bool
    epoch: int | None
    takeover: bool = False


@dataclass(frozen=True, slots=True)
class ShardLease:
    """`--shards`: this replica took the lease of `shard` (`held`) or lost or gave it up;
    `takeover`: the shard had a holder before (its epoch moved past the first)."""

    shard: int
    held: bool
    takeover: bool = False


@dataclass(frozen=True, slots=True)
class Stopping:
    """The daemon was told to stop (SIGTERM, SIGINT): a listener lets go of what it holds open."""


@dataclass(frozen=True, slots=True)
class ForgeAnswered:
    """The Git host answered a request (or failed to): `ok`, `transient`, `rate-limited` or
    `refused`."""

    outcome: str


@dataclass(frozen=True, slots=True)
class ForgeRetried:
    """Something for the Git host is tried again after a transient failure."""


PassEvent = (
    Triggered
    | PassStarted
    | PassFinished
    | PassFailed
    | Judged
    | FilesRead
    | Observed
    | RequestsRecorded
    | RunsFinished
    | Rows
    | ReportPushed
    | ReadbackRefreshed
    | SourceFailed
    | SourceAnswered
    | Readiness
    | WebhookReceived
    | Leadership
    | ShardLease
    | Stopping
    | ForgeAnswered
    | ForgeRetried
)


class PassListener(Protocol):
    """Anything that observes passes."""

    def heard(self, event: PassEvent) -> None:
        """Take in one event; quick, never blocking."""


class Listeners:
    """Tells every listener each event, in the order they were added."""

    def __init__(self, *listeners: PassListener) -> None:
        self._listeners = list(listeners)

    def add(self, listener: PassListener) -> None:
        self._listeners.append(listener)

    def heard(self, event: PassEvent) -> None:
        for listener in self._listeners:
            try:
                listener.heard(event)
            except Exception:
                log.exception(
                    "listener %s failed on %s", type(listener).__name__, type(event).__name__
                )
