"""Running documented shell walkthroughs as written: the `sh` blocks of one section of a doc."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path


def sh_blocks(document: Path, start: str, end: str) -> str:
    """The `sh` code blocks between the headings `start` and `end`, joined, under `set -eu`."""
    text = document.read_text()
    section = text[text.index(start) : text.index(end)]
    return "set -euo pipefail\n" + "\n".join(re.findall(r"```sh\n(.*?)```", section, re.DOTALL))


def run_script(script: str, cwd: Path, timeout: float) -> tuple[int, str]:
    """Run `script` in bash with this interpreter's commands on PATH; (exit code, output).

    The script runs in a process group of its own, killed afterwards whether or not it got to
    its last line, so background servers it started never outlive the test.
    """
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, output
