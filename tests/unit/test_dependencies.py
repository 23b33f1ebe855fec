"""What the installed dependencies must hold for the Core client to stay cheap per request."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from httpcore import _synchronization


class Searches:
    """A finder that only notes which modules the import system went looking for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(name)
        return None


def test_httpcore_learns_the_event_loop_without_searching_for_a_module() -> None:
    """httpcore asks `sniffio` which event loop runs, on every request; without sniffio
    installed each question was a failed import searched through the whole `sys.path` (11 % of
    the daemon's CPU at 500 Cores)."""

    async def ask() -> str:
        return _synchronization.current_async_library()

    assert asyncio.run(ask()) == "asyncio"  # the first question may import it
    searches = Searches()
    sys.meta_path.insert(0, searches)
    try:
        for _ in range(3):
            assert asyncio.run(ask()) == "asyncio"
    finally:
        sys.meta_path.remove(searches)
    assert "sniffio" not in searches.names
