"""The reference Core's curl walkthrough (docs/reference-core.md), run as written.

Only its fixed places are swapped for the test's own: /tmp/a and /tmp/b, the two API ports and
the padas port.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.cores import free_port
from tests.support.scripts import run_script, sh_blocks

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference-core.md"


def test_curl_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """Two Cores, a pipeline by curl, filtered events on a, forwarded over padas to b."""
    script = sh_blocks(DOC, "## Walkthrough", "## Flags")
    for fixed in ("18999", "19000", "17001"):
        script = script.replace(fixed, str(free_port()))
    script = script.replace("/tmp/a", str(tmp_path / "a")).replace("/tmp/b", str(tmp_path / "b"))

    code, output = run_script(script + "\nkill %1 %2\nwait\n", tmp_path, timeout=120)

    assert code == 0, output
    assert '"path":"/api","status":503,"severity":"error"' in output
    assert '"path":"/login","status":500,"severity":"error"' in output
    assert '"path":"/",' not in output
    assert (tmp_path / "a" / "streams.json").exists()
