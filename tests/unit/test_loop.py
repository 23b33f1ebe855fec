"""`reconciler.cli.loop.run`: a coroutine's result comes back without ever being formatted."""

from __future__ import annotations

import signal
import threading

import pytest

from reconciler.cli import loop


class Loud:
    """A result that counts how often it is turned into text."""

    def __init__(self) -> None:
        self.formatted = 0

    def __repr__(self) -> str:
        self.formatted += 1
        return "Loud()"


async def produce(value: Loud) -> Loud:
    return value


def test_the_result_comes_back_unformatted() -> None:
    # The cost `run` avoids only arises where asyncio installs its SIGINT handler: the main
    # thread, with Python's default handler in place (as under the `reconciler` command).
    assert threading.current_thread() is threading.main_thread()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    value = Loud()
    assert loop.run(produce(value)) is value
    assert value.formatted == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_exception_still_propagates() -> None:
    async def fail() -> None:
        raise LookupError("gone")

    with pytest.raises(LookupError, match="gone"):
        loop.run(fail())
