"""Outcomes of Deploy All runs and Core Actions, as values the ledger keeps and reports show.

Every failure on a Core becomes one of these with a stable reason code, never an exception that
could stop the work on other Cores. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    """How one operation, or the work on one Core, ended."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    REFUSED = "refused"


class RequestState(StrEnum):
    """The life of a request in the ledger: recorded before it runs, and when it ends."""

    CLAIMED = "claimed"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    REFUSED = "refused"

    @property
    def finished(self) -> bool:
        return self not in (RequestState.CLAIMED, RequestState.RUNNING)


class RunKind(StrEnum):
    DEPLOY = "deploy"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class StepResult:
    """One operation (create, update, delete, start, stop) on one component of one Core."""

    step: str
    kind: str
    name: str
    outcome: Outcome
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class CoreOutcome:
    """The work of one request on one Core."""

    core: str
    outcome: Outcome
    steps: tuple[StepResult, ...] = ()
    reason: str | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """A Deploy All or a Core Action request and everything that happened to it."""

    id: str
    kind: RunKind
    state: RequestState
    commit: str
    author: str
    requested_at: datetime
    reason: str = ""
    """The marker's or trailer's reason (Deploy All), or `start pipeline` (actions)."""
    plan_digest: str | None = None
    expect_plan: str | None = None
    pipeline: str | None = None
    action: str | None = None
    target_cores: tuple[str, ...] = ()
    cores: tuple[CoreOutcome, ...] = ()
    note: str | None = None
    """Why it was refused or superseded, or what else a reader should know."""
    started_at: datetime | None = None
    finished_at: datetime | None = None
