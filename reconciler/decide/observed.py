"""What a readback of a Core saw, as values (SPEC §3 "observed").

The Core client turns raw JSON into these at the edge; everything after works on them. A readback
that failed is still an `Observation`: reachable=False, with a reason, so one dead Core is data and
never an exception. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from reconciler.decide.model import ComponentKind

MANAGED_BY = "reconciler"
"""The `metadata.managed-by` value on every component this reconciler writes."""


class Runtime(StrEnum):
    """Execution state of a component, and of a (pipeline, Core) cell (SPEC §3)."""

    RUNNING = "running"
    STOPPED = "stopped"
    STARTING = "starting"
    STOPPING = "stopping"
    FAILED = "failed"
    PARTIAL = "partial"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    """Stable reason codes for anything that went wrong talking to a Core."""

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
    """Not a failure of the Core: it is new or changed in Git and is not contacted until a
    Deploy All deploys it (`reconciler.decide.trust`)."""

    @property
    def transient(self) -> bool:
        """Whether the failure may go away by itself, so that a later try, unchanged, may work.

        A Core that could not be reached, timed out or answered 5xx may answer next time, and a
        lockout lifts after its `Retry-After`. Everything else (a refusal, a bad token, a TLS
        failure, garbage) needs a person or a changed request.
        """
        return self in _TRANSIENT


_TRANSIENT = frozenset({Reason.UNREACHABLE, Reason.TIMEOUT, Reason.SERVER_ERROR, Reason.LOCKED_OUT})


@dataclass(frozen=True, slots=True)
class ObservedComponent:
    """One component as the Core reported it; `body` is the spec part, without id/state/metadata."""

    kind: ComponentKind
    name: str
    body: Mapping[str, Any]
    state: Runtime | None = None
    error: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[ComponentKind, str]:
        return (self.kind, self.name)

    @property
    def managed(self) -> bool:
        """Whether this reconciler wrote it (per the component's own metadata)."""
        return self.metadata.get("managed-by") == MANAGED_BY


@dataclass(frozen=True, slots=True)
class Observation:
    """The latest readback of one Core.

    `components` and `version` come from the last *successful* readback (`last_seen`), so a Core
    that stops answering keeps showing what it last held, flagged by `reachable` and `reason`.
    """

    core: str
    reachable: bool
    attempted_at: datetime
    last_seen: datetime | None = None
    components: Mapping[tuple[ComponentKind, str], ObservedComponent] = field(default_factory=dict)
    version: str | None = None
    reason: Reason | None = None
    message: str | None = None
    duration_ms: float = 0.0

    @property
    def seen(self) -> bool:
        """Whether any readback of this Core ever succeeded."""
        return self.last_seen is not None
