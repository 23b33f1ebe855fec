"""The README's walkthrough, run as written (only its fixed ports swapped for free ones)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from reconciler.resources import data_path
from tests.support.cores import free_port
from tests.support.scripts import run_script, sh_blocks

README = Path(__file__).resolve().parents[2] / "README.md"


def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """Every step of the walkthrough succeeds and each pass reports the status it promises."""
    shutil.copytree(data_path("example-repo"), tmp_path / "example-repo")
    script = sh_blocks(README, "## Walkthrough", "## Validation")
    for port in ("18001", "18002", "18003"):
        script = script.replace(port, str(free_port()))

    code, output = run_script(script, tmp_path, timeout=240)

    assert code == 0, output
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
