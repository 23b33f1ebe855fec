"""The exception tree, classified by what the caller does next.

    ReconcilerError
    ├── ConfigurationError   a person must fix a flag, a file or the environment; exit 2 at start
    ├── DeclarationError     the declared state at a revision is invalid: refuse it, keep the last
                             good one
    ├── TransientError       the world is briefly unavailable; retry with backoff
    │   └── SourceUnavailable  the Git source cannot be reached or read right now
    └── CoreCallError        one call to one Core failed (reconciler.shell.core.client)

A failed operation on a Core never escapes as an exception: the Core client raises
CoreCallError (with a reason code and whether it is transient) and the deployer turns it into an
outcome value at once, so that one Core's failure cannot abort the work on the others.

Messages are lowercase, name the file, Core or flag they are about, and never carry a secret.
Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
