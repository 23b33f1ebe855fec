"""The README's walkthrough, run as written (only its fixed ports swapped for free ones)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from reconciler.resources import data_path
from tests.support.cores import free_port

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text()
    section = text[text.index("## Walkthrough") : text.index("## Validation")]
    script = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.DOTALL))
    for port in ("18001", "18002", "18003"):
        script = script.replace(port, str(free_port()))
    return "set -euo pipefail\n" + script


def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """Every step of the walkthrough succeeds and each pass reports the status it promises."""
    shutil.copytree(data_path("example-repo"), tmp_path / "example-repo")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(
        ["bash", "-c", walkthrough()],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        # the Cores run in the script's process group, whether or not the script got to step 8
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, output
    statuses = re.findall(r"^web-errors\s+(.+?)\s{2,}", output, re.MULTILINE)
    assert statuses == [
        "Pending deployment",
        "Ready to start",
        "Running",
        "Drift detected",
        "Running",
        "Pending deployment",
        "No assigned Cores",
    ]
    assert '"path":"/checkout"' in output
    assert '"path":"/"' not in output
