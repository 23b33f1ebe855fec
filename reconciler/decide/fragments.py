"""`Fragments`: pieces of a report already made, by the value they were made from.

A report of 10,000 rows where one row changed needs one row rendered again, not 10,000. Each
piece (a row's Markdown line, its triage section, its `pipelines.json` entry) depends on its
row alone, so the caller keeps one `Fragments` between reports (the daemon does, in the shell)
and passes it in; a report made with it is exactly the report made without it, which the tests
hold. Pieces are found by the identity of the value (rows are values that are never changed,
and an unchanged row is the same object from one pass to the next, `decide.rowmemo`): an equal
row that is another object is made again, which costs time, never correctness. A piece keeps
its value alive, so an identity is never reused while it is kept.

What the last report did not use is forgotten at the next `rotate`, so the memory kept is one
report's worth. Not thread-safe: one report at a time. Pure module (no I/O; the memo is a value
the caller owns).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Fragments:
    """Made pieces by (kind, value); see the module docstring."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, int], tuple[object, object]] = {}
        self._used: dict[tuple[str, int], tuple[object, object]] = {}

    def made(self, kind: str, value: object, make: Callable[[], T]) -> T:
        """The piece of `kind` for `value`: made by `make` unless a recent report made it."""
        key = (kind, id(value))
        found = self._used.get(key) or self._kept.get(key)
        if found is None or found[0] is not value:
            found = (value, make())
        self._used[key] = found
        return found[1]  # type: ignore[return-value]

    def rotate(self) -> None:
        """Start the next report: keep what the last one used, forget the rest."""
        self._kept, self._used = self._used, {}
