"""`python -m bench --quick` end to end at tiny sizes: every scenario's row, the last line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.measure import COLUMNS

SCENARIOS = [
    "`validate`, grouped files",
    "`validate`, one file per object",
    "`plan` RSS, empty Cores",
    "daemon first full pass",
    "daemon RSS",
    "one-file commit → report pushed, p50",
    "Deploy All touching one pipeline → on its Cores, p50",
    "`status`, converged",
    "`status`, converged",
    "readback, cold: time",
    "readback, cold: peak RSS",
    "Deploy All from empty: writes window",
    "Deploy All from empty: whole `once`",
    "push → deploy, p50",
    "idle daemon CPU",
    "idle daemon: no commit",
]
ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_quick_run_prints_every_target_and_the_count(tmp_path: Path) -> None:
    """One row per target in order, each with a verdict, then `targets met: X/16`; no leftovers."""
    keep = tmp_path / "bench"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    tiny = ["--quick", "--scale", "0.002", "--runs", "1", "--keep", str(keep)]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *tiny],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    rows = [line.split(" | ") for line in lines[2:-2]]
    assert [row[0].removeprefix("| ") for row in rows] == SCENARIOS
    assert all(row[-1] in ("yes |", "no |") for row in rows)
    met = sum(row[-1] == "yes |" for row in rows)
    assert re.fullmatch(r"targets met: \d+/16", lines[-1])
    assert lines[-1] == f"targets met: {met}/16"
    assert rows[-1][2] == "none", "the idle daemon committed"
    assert not any("serve-fleet" in line or "reconciler run" in line for line in processes(keep))


def processes(folder: Path) -> list[str]:
    """Command lines of the processes still running whose arguments name `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(folder) in line:
                found.append(line)
    return found
