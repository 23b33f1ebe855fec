"""The `Forge` protocol: what the reconciler asks of a Git host, whichever it is.

Errors, by what the caller does next:

    ForgeError            the host refused or could not be reached
      transient=True      retry with backoff (connection, timeout, 5xx, rate limit);
                          `retry_after` says how long the host asked to wait, when it did
      transient=False     give up on this request (401, 403, 404, 422: a person must act)

Messages name the host and the request's method and path, never the token. Pure module
(values and a protocol).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from reconciler.decide.forge import Status


@dataclass(frozen=True, slots=True)
class PullRequest:
    """An open pull (or merge) request: its number, head commit and changed files."""

    number: int
    sha: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    author: str | None = None


class ForgeError(Exception):
    """A request to the Git host failed; see the module docstring."""

    def __init__(
        self, message: str, transient: bool, retry_after: float | None = None, code: int = 0
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.code = code


class Forge(Protocol):
    """A Git host's API, as the reconciler uses it."""

    async def set_status(self, status: Status) -> None:
        """Post a commit status (the host keeps the newest per sha and context)."""

    async def open_pulls(self) -> list[PullRequest]:
        """The open pull requests, each with its head commit and changed files."""

    async def whoami(self) -> str:
        """The user the token acts as."""

    async def comments(self, number: int) -> list[Comment]:
        """The comments on a pull request, oldest first."""

    async def create_comment(self, number: int, body: str) -> Comment: ...

    async def edit_comment(self, number: int, comment_id: int, body: str) -> None: ...
