"""The event loop stays free while a pass does its CPU work: rows, report and desired state.

Each piece of work that grows with the fleet is wrapped here so that, while it runs, it asks the
event loop to run a coroutine and waits for the answer: run on the loop itself, it could never
get one (the wrapper says so at once instead of hanging); run off the loop, it does. That is what
lets `/healthz`, `/metrics` and the webhook answer during the longest pass.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.decide import resolve
from reconciler.shell import memo
from tests.support.inprocess import World

pytestmark = pytest.mark.anyio


class LoopProbe:
    """Wraps functions so each call proves the loop answered while the function ran."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = threading.get_ident()
        self.answered: list[str] = []

    def wrap(self, name: str, work: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == self.thread:
                raise AssertionError(f"{name} ran on the event loop")
            asyncio.run_coroutine_threadsafe(self.answer(name), self.loop).result(timeout=60)
            return work(*args, **kwargs)

        return wrapped

    async def answer(self, name: str) -> None:
        self.answered.append(name)


async def test_rows_report_and_desired_state_are_made_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = LoopProbe(asyncio.get_running_loop())
    monkeypatch.setattr(memo, "report_of", probe.wrap("report", memo.report_of))
    monkeypatch.setattr(resolve, "desired", probe.wrap("desired", resolve.desired))
    async with World.open(tmp_path, ["edge-1"]) as world:
        await world.reconciler.run_pass()
        world.deploy_marker("go")
        world.push("deploy")

        result = await world.reconciler.run_pass()

        assert result.report is not None
        assert "report" in probe.answered
        assert "desired" in probe.answered
