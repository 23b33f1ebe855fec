"""How the Core client treats a Core over time: timeouts, retries, and holding off after a 401.

Retries. A request that fails transiently (it could not connect, timed out, got a 5xx, or lost
the connection half-way through the answer) is tried again, up to `RetryPolicy.attempts` tries
in all, waiting a random time between zero and an exponential ceiling before each retry ("full
jitter": the ceiling is `base_delay`, then twice that, four times that, … up to `max_delay`),
so that clients recovering at once do not hit a Core in step. A 4xx is permanent and never
retried: the same request would get the same answer. All retries of one operation fit inside
`Timeouts.operation`.

Holding off. The real Core counts authentication failures per address and locks the address out
after a few, so a 401 is never retried and never hammered: after a 401 the client makes no call
at all to that Core for `AuthBackoff.initial` seconds, doubling with each further 401 up to
`maximum`; calls during the hold fail at once with `Reason.BACKING_OFF`. When the hold ends, the
next call is a single probe. A success ends the streak. A token that changed since the 401 (a
rotated token file) gets its try at once. A 429 (lockout) holds off until its `Retry-After`, and
calls during that hold fail at once with `Reason.LOCKED_OUT`, whatever the token.

I/O module (the clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.decide.observed import Reason


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 3.0
    """Seconds to open a connection (TCP and TLS): a dead or unroutable Core fails this fast."""
    read: float = 10.0
    """Seconds to wait for the next bytes of an answer: a Core that hangs fails this fast."""
    operation: float = 30.0
    """Seconds one client operation (a readback, a put, …) may take, retries included, so one slow
    Core never holds up a pass for longer than this."""
    suspect: float = 5.0
    """Seconds a readback may take while the Core's last readback timed out: a Core that hangs
    costs `operation` once, then this much per readback until it answers again."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    """Tries per request for transient failures, the first included; 1 turns retrying off."""
    base_delay: float = 0.25
    """Seconds: the ceiling of the wait before the first retry; it doubles for each retry after."""
    max_delay: float = 4.0
    """Seconds: the ceiling never grows past this, however many retries."""

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("retry policy: attempts >= 1 and 0 <= base_delay <= max_delay")

    def delay(self, retry: int, draw: Callable[[], float]) -> float:
        """Seconds to wait before the `retry`-th retry (1-based); `draw()` is uniform in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return ceiling * draw()


@dataclass(frozen=True, slots=True)
class AuthBackoff:
    initial: float = 30.0
    """Seconds without any call to a Core after its first 401 (the Core locks out on repeats)."""
    maximum: float = 900.0
    """Seconds: each further 401 doubles the hold up to this; also caps a Core's Retry-After."""
    lockout_default: float = 60.0
    """Seconds to hold off after a 429 that carries no usable Retry-After."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Everything the Core client takes besides the Cores themselves; built once by the program."""

    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    auth: AuthBackoff = AuthBackoff()
    max_response_bytes: int = 8 << 20
    """Bytes of one answer the client reads at most; a larger answer is a bad response."""
    max_connections: int = 8
    """Connections one client keeps to its Core (a readback uses five at once)."""
    readback_concurrency: int = 16
    """How many Cores a pool reads back at once."""


@dataclass(frozen=True, slots=True)
class Hold:
    """Calls to a Core are held off until `until`, for `reason`."""

    reason: Reason
    until: datetime


class AuthGate:
    """Whether calls to one Core may go now, after the 401s and 429s it answered (see above)."""

    def __init__(self, policy: AuthBackoff, clock: Callable[[], datetime]) -> None:
        self._policy = policy
        self._clock = clock
        self._hold: Hold | None = None
        self._streak = 0
        self._generation: int | None = None

    def hold(self, generation: int) -> Hold | None:
        """The hold in force for a call made with token `generation`, or None when it may go."""
        hold = self._hold
        if hold is None or self._clock() >= hold.until:
            return None
        if hold.reason is Reason.BACKING_OFF and generation != self._generation:
            return None
        return hold

    def unauthorized(self, generation: int) -> Hold:
        """Record a 401 to a call made with token `generation`; returns the hold it starts."""
        current = self.hold(generation)
        if current is not None and current.reason is Reason.BACKING_OFF:
            return current  # a concurrent call's 401 for the same token: one failure, one hold
        self._streak += 1
        seconds = min(self._policy.maximum, self._policy.initial * 2.0 ** (self._streak - 1))
        self._generation = generation
        return self._start(Reason.BACKING_OFF, seconds)

    def locked_out(self, retry_after: float | None) -> Hold:
        """Record a 429 lockout that asked to wait `retry_after` seconds (None: not said)."""
        seconds = self._policy.lockout_default if retry_after is None else retry_after
        return self._start(Reason.LOCKED_OUT, min(seconds, self._policy.maximum))

    def succeeded(self) -> None:
        """A call got through: the streak is over."""
        self._hold = None
        self._streak = 0
        self._generation = None

    def _start(self, reason: Reason, seconds: float) -> Hold:
        until = self._clock() + timedelta(seconds=seconds)
        if self._hold is not None and self._hold.until > until:
            until = self._hold.until
        self._hold = Hold(reason, until)
        return self._hold
