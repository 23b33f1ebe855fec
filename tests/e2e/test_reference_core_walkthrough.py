"""The reference Core's curl walkthrough (docs/reference-core.md), run as written.

Only its fixed places are swapped for the test's own: /tmp/a and /tmp/b, the two API ports and
the padas port.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.cores import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference-core.md"


def walkthrough(tmp_path: Path) -> str:
    text = DOC.read_text()
    section = text[text.index("## Walkthrough") : text.index("## Flags")]
    script = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.DOTALL))
    for fixed in ("18999", "19000", "17001"):
        script = script.replace(fixed, str(free_port()))
    script = script.replace("/tmp/a", str(tmp_path / "a")).replace("/tmp/b", str(tmp_path / "b"))
    return "set -euo pipefail\n" + script + "\nkill %1 %2\nwait\n"


def test_curl_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """Two Cores, a pipeline by curl, filtered events on a, forwarded over padas to b."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(
        ["bash", "-c", walkthrough(tmp_path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, output
    assert '"path":"/api","status":503,"severity":"error"' in output
    assert '"path":"/login","status":500,"severity":"error"' in output
    assert '"path":"/",' not in output
    assert (tmp_path / "a" / "streams.json").exists()
