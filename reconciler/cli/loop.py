"""`run`: `asyncio.run` for a coroutine whose result may be large.

On the main thread, Python 3.11's `asyncio.Runner` installs a SIGINT handler bound to the main
task and, on the way out, asks `signal.getsignal` whether it is still installed; that turns the
handler into an enum member or, failing that, formats a `ValueError` with `repr(handler)`, which
is the repr of the finished task, which includes the repr of its *result*. For a snapshot of
every Core's observations that repr is the whole fleet as text: 0.15 s of `status` at 200
pipelines on 10 Cores, growing with the fleet. `run` hands the result out through a holder, so
the task itself finishes with `None` and nothing large is formatted. I/O module (the event loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, its result returned without the task ever holding it."""
    held: list[T] = []

    async def hold() -> None:
        held.append(await main)

    asyncio.run(hold())
    return held[0]
