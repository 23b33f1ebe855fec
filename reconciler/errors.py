"""The exception tree, classified by what the caller does next.

    ReconcilerError
    ├── ConfigurationError   a person must fix a flag, a file or the environment; exit 2 at start
    ├── DeclarationError     the declared state at a revision is invalid: refuse it, keep the last
    │                        good one (carries every `Problem`, sorted)
    ├── LeaseLost            another replica is active now: stop acting (no Core operation,
    │                        no ledger write) and stand by
    ├── TransientError       the world is briefly unavailable; retry with backoff
    │   └── SourceUnavailable  the Git source cannot be reached or read right now
    └── CoreCallError        one call to one Core failed: `.reason` (a stable code), `.status`
                             (HTTP status or None), `.message`, `.transient` (may the same call
                             succeed later, unchanged?)

A failed operation on a Core never escapes as an exception: the Core client raises
CoreCallError and the deployer and Core Actions turn it into an outcome value at once, so that
one Core's failure cannot abort the work on the others. The reasons and which of them are
transient are listed with `reconciler.decide.observed.Reason`.

Messages are lowercase, name the file, Core or flag they are about, and never carry a secret.
Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.decide.observed import Reason


class ReconcilerError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigurationError(ReconcilerError):
    """A flag, file or environment value that a person must fix before anything can run."""


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the declared state, located at a file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class DeclarationError(ReconcilerError):
    """The declared state at one revision is invalid; it carries every problem, sorted."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "no details"
        super().__init__(f"declared state is invalid ({count} problem(s)); first: {first}")


class TransientError(ReconcilerError):
    """Something that may work when tried again later."""


class SourceUnavailable(TransientError):
    """The Git source could not be fetched or read."""


class LeaseLost(ReconcilerError):
    """This replica is not (or no longer) the active one: no Core operation, no ledger write.

    Raised by the guard a Core client checks before every write, and by a ledger write fenced
    off by a newer epoch; it ends the pass, and what it left unfinished the active replica
    resumes."""


class CoreCallError(ReconcilerError):
    """A call to a Core that did not succeed, with the reason code the reports use."""

    def __init__(self, reason: Reason, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status

    @property
    def transient(self) -> bool:
        """Whether trying the same call later, with nothing changed, may succeed."""
        return self.reason.transient

    def __repr__(self) -> str:
        return f"CoreCallError({self.reason.value!r}, {self.message!r}, status={self.status})"
