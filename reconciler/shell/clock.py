"""The one clock of the shell: `Clock` is what every part that needs the time takes.

The pure core never reads the time; the shell reads it through a `Clock` it is given, so a test
can hand in a clock it moves itself. I/O module (the system clock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Answers the current time, timezone-aware (UTC)."""


def utc_now() -> datetime:
    """The system clock, in UTC."""
    return datetime.now(UTC)
