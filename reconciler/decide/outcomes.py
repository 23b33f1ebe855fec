"""Outcomes of Deploy All runs and Core Actions, as values the ledger keeps and reports show.

Every failure on a Core becomes one of these with a stable reason code (`OutcomeReason`), never
an exception that could stop the work on other Cores. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from reconciler.decide.components import OpKind
from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import Reason


class Outcome(StrEnum):
    """How one operation, or the work on one Core, ended."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    REFUSED = "refused"


class OutcomeReason(StrEnum):
    """Why a step, or the work on one Core, ended as it did: stable codes reports and tests use.

    The first group is every `Reason` a Core call can fail with (the Core's answer, or the lack
    of one); the second the run's own rules.
    """

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls-error"
    UNAUTHORIZED = "unauthorized"
    LOCKED_OUT = "locked-out"
    BACKING_OFF = "backing-off"
    TOKEN_UNAVAILABLE = "token-unavailable"  # noqa: S105 (a reason code, not a secret)
    REJECTED = "rejected"
    NOT_FOUND = "not-found"
    CONFLICT = "conflict"
    SERVER_ERROR = "server-error"
    BAD_RESPONSE = "bad-response"
    AWAITING_DEPLOY = "awaiting-deploy"

    SHUTDOWN = "shutdown"
    """The daemon stopped before this was done; the run resumes on the next start."""
    ROLLOUT_STOPPED = "rollout-stopped"
    """More Cores failed than the rollout policy's `max_failed_cores`; this one was not started."""
    EARLIER_FAILURE = "earlier-failure"
    """An earlier operation on the same Core failed, so this one was not tried."""
    NOT_DEPLOYED = "not-deployed"
    """A Core Action on a Core where the pipeline is not (fully) deployed."""
    DRIFTED = "drifted"
    """A start on a Core where a component differs from what was deployed (changed by hand)."""
    SHARED = "shared"
    """Stop left the component alone: another pipeline running on the Core uses it."""
    START_FAILED = "start-failed"
    """The component went to `failed` right after it was started."""

    @classmethod
    def of(cls, reason: Reason) -> OutcomeReason:
        """The outcome reason for a Core call that failed with `reason`."""
        return cls(reason.value)


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

    step: OpKind | ActionVerb
    kind: ComponentKind
    name: str
    outcome: Outcome
    reason: OutcomeReason | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class CoreOutcome:
    """The work of one request on one Core."""

    core: str
    outcome: Outcome
    steps: tuple[StepResult, ...] = ()
    reason: OutcomeReason | None = None
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
    action: ActionVerb | None = None
    target_cores: tuple[str, ...] = ()
    cores: tuple[CoreOutcome, ...] = ()
    note: str | None = None
    """Why it was refused or superseded, or what else a reader should know."""
    revision: str | None = None
    """A rollback (Deploy All): the older commit whose declared state it deploys, as the
    marker names it until the run starts, then resolved to the full commit id."""
    started_at: datetime | None = None
    finished_at: datetime | None = None


def finished(run: Run, state: RequestState, at: datetime, note: str | None = None) -> Run:
    """`run` ended in `state` at `at`; `note` says why, when there is something to say."""
    return replace(run, state=state, finished_at=at, note=note or run.note)
