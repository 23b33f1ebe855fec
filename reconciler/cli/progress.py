"""Progress of a readback, on standard error: a live line on a terminal, plain lines elsewhere.

On a terminal the line says how many Cores answered and which ones are still awaited, with the
seconds waited, redrawn as each Core answers and every second, so a Core that hangs is visible
at once. Elsewhere (a file, a CI log) one line is written when the readback starts and one per
Core when it ends. Standard output keeps only the command's result, whatever `--format`.

I/O module (the terminal).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable
from typing import TextIO

from reconciler.decide.observed import Observation


class Readback:
    """Shows one readback of many Cores; `done` is called as each one ends."""

    def __init__(self, names: Iterable[str], stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.waiting = sorted(names)
        self.total = len(self.waiting)
        self.started = time.monotonic()
        self.terminal = self.stream.isatty()
        self._lock = threading.Lock()
        self._ticker: threading.Timer | None = None
        if self.terminal:
            self._tick()
        elif self.total:
            self._write(f"reading back {self.total} Core(s)\n")

    def done(self, observation: Observation) -> None:
        with self._lock:
            if observation.core in self.waiting:
                self.waiting.remove(observation.core)
        if self.terminal:
            self._draw()
        else:
            self._write(f"core {observation.core}: {_outcome(observation)}\n")

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self.terminal and self.total:
            self._write("\r\033[K")

    def _tick(self) -> None:
        self._draw()
        self._ticker = threading.Timer(1.0, self._tick)
        self._ticker.daemon = True
        self._ticker.start()

    def _draw(self) -> None:
        with self._lock:
            answered, waiting = self.total - len(self.waiting), list(self.waiting)
        seconds = time.monotonic() - self.started
        awaited = f"; waiting for {', '.join(waiting[:5])}" + ("…" if len(waiting) > 5 else "")
        line = f"reading back Cores: {answered}/{self.total} answered{awaited if waiting else ''}"
        self._write(f"\r\033[K{line} ({seconds:.0f} s)")

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text)
            self.stream.flush()


def _outcome(observation: Observation) -> str:
    if observation.reachable:
        return f"read back in {observation.duration_ms:.0f} ms"
    reason = observation.reason.value if observation.reason else "unreachable"
    return f"{reason}: {observation.message or ''}".rstrip(": ")


class Waiting:
    """Shows `reconciler wait`: on a terminal one live line (state, seconds waited), redrawn at
    every look; elsewhere one line whenever what the report says changes."""

    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.what = what
        self.started = time.monotonic()
        self.terminal = self.stream.isatty()
        self.last: str | None = None

    def show(self, state: str) -> None:
        seconds = time.monotonic() - self.started
        if self.terminal:
            self.stream.write(f"\r\033[Kwaiting for {self.what}: {state} ({seconds:.0f} s)")
        elif state != self.last:
            self.stream.write(f"waiting for {self.what}: {state}\n")
        self.stream.flush()
        self.last = state

    def close(self) -> None:
        if self.terminal:
            self.stream.write("\r\033[K")
            self.stream.flush()
