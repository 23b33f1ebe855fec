"""Measuring: timers, medians, a child's own CPU and RSS, a daemon's from /proc, and the table.

A `Row` is one target: the figure measured, the floor or peer measured beside it in the same run,
and the target, either a bound on the ratio of the two (`max_ratio`), a bound on the figure itself
(`max_figure`), a bound on how far the figure may exceed the peer (`max_excess`), or a yes/no
(`holds`). `table` prints the Markdown table and, last, `targets met: X/Y`.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
MIB = 1024 * 1024
TIME = "/usr/bin/time"
"""GNU time (Debian package `time`, in .ci/packages)."""
COLUMNS = ("scenario", "size", "figure", "floor or peer", "ratio", "target", "met")


@dataclass(frozen=True, slots=True)
class Row:
    """One target's line: `figure` and `peer` are numbers in `unit` (None: not measured)."""

    scenario: str
    size: str
    figure: float | None
    unit: str
    target: str
    peer: float | None = None
    peer_label: str = ""
    max_ratio: float | None = None
    max_figure: float | None = None
    max_excess: float | None = None
    holds: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.peer:
            return None
        return self.figure / self.peer

    @property
    def met(self) -> bool:
        if self.figure is None and self.holds is None:
            return False
        checks = [self.holds] if self.holds is not None else []
        if self.max_ratio is not None:
            checks.append(self.ratio is not None and self.ratio <= self.max_ratio)
        if self.max_figure is not None:
            checks.append(self.figure is not None and self.figure <= self.max_figure)
        if self.max_excess is not None:
            excess = None if self.figure is None or self.peer is None else self.figure - self.peer
            checks.append(excess is not None and excess <= self.max_excess)
        return bool(checks) and all(checks)


def number(value: float | None, unit: str) -> str:
    """A figure as the table shows it: three significant digits, then the unit."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f} %"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def cells(row: Row) -> list[str]:
    figure = row.note or number(row.figure, row.unit)
    if row.note and row.figure is not None:
        figure = f"{number(row.figure, row.unit)} ({row.note})"
    peer = number(row.peer, row.unit) if row.peer is not None else "—"
    if row.peer_label:
        peer = f"{row.peer_label} {peer}"
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "—"
    return [row.scenario, row.size, figure, peer, ratio, row.target, "yes" if row.met else "no"]


def table(rows: Sequence[Row]) -> str:
    """The Markdown table of `rows`, then the line `targets met: X/Y`."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells(r)) + " |" for r in rows]
    met = sum(row.met for row in rows)
    return "\n".join([*lines, "", f"targets met: {met}/{len(rows)}"])


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.5 is the p50 of an odd count: its median)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


@dataclass(frozen=True, slots=True)
class Child:
    """A finished child process: wall seconds, its own CPU seconds and peak RSS, its output."""

    seconds: float
    cpu: float
    rss_mib: float
    returncode: int
    stdout: str
    stderr: str


def run_child(
    command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None, timeout: float = 3600
) -> Child:
    """Run `command` to its end; its CPU (wait4) and peak RSS are its own, not the harness's.

    A child's peak RSS as wait4 gives it starts from the harness's own (Linux keeps the high
    mark of the process that forked across exec), so the command runs under GNU time, a small
    process whose child's figure is the command's alone.
    """
    with tempfile.TemporaryDirectory() as folder:
        out, err, peak = (Path(folder) / name for name in ("out", "err", "peak"))
        wrapped = [TIME, "-q", "-f", "%M", "-o", str(peak), *command]
        with out.open("wb") as out_file, err.open("wb") as err_file:
            started = time.perf_counter()
            process = subprocess.Popen(
                wrapped,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out_file,
                stderr=err_file,
            )
            try:
                status, usage = _wait4(process.pid, timeout)
            except BaseException:
                process.kill()
                process.wait()
                raise
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        kib = int(peak.read_text().split()[-1]) if peak.exists() else usage.ru_maxrss
        texts = out.read_text(errors="replace"), err.read_text(errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    return Child(seconds, cpu, kib / 1024, process.returncode, *texts)


def _wait4(pid: int, timeout: float) -> tuple[int, resource.struct_rusage]:
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} ran longer than {timeout:.0f} s")
        time.sleep(0.005)


def side_by_side(
    runs: int, ours: Callable[[], Child], theirs: Callable[[], float]
) -> tuple[list[Child], list[float]]:
    """The floor `theirs`, then `ours`, alternately, `runs` times each."""
    mine: list[Child] = []
    floors: list[float] = []
    for _ in range(runs):
        floors.append(theirs())
        mine.append(ours())
    return mine, floors


def proc_cpu(pid: int) -> float:
    """CPU seconds of a live process and of the children it reaped (utime+stime+cutime+cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(value) for value in fields[11:15]) / ticks


def proc_rss(pid: int, peak: bool = True) -> float:
    """A live process's peak (VmHWM) or current (VmRSS) resident size, MiB."""
    key = "VmHWM:" if peak else "VmRSS:"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    raise ValueError(f"/proc/{pid}/status has no {key}")


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.01) -> T:
    """Poll `check` until it answers something truthy; raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
