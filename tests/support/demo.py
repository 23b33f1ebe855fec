"""`reconciler demo` as a process for end-to-end tests: its printed walkthrough and a shell.

demo = Demo(tmp_path)              # started; stdout in demo.out, stderr in demo.err
steps = demo.steps()               # {step number: [its `$` lines]}, once printed
demo.sh(steps[2][0], exports)      # one pasted line, in the person's clone
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.cores import wait_until
from tests.support.daemon import SCRIPT, base_env


class Demo:
    """The demo process, its printed walkthrough, and a shell in the person's clone."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "demo"
        self.out = root / "demo.out"
        with self.out.open("wb") as out, (root / "demo.err").open("wb") as err:
            self.process = subprocess.Popen(
                [SCRIPT, "demo", "--dir", str(self.folder)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=base_env(),
            )

    def printed(self) -> str:
        text = self.out.read_text()
        if self.process.poll() is not None:
            raise AssertionError(f"the demo exited early:\n{text}")
        return text if "Ctrl-C here stops" in text else ""

    def steps(self) -> dict[int, list[str]]:
        """The `$` lines of each numbered step (0: the lines before step 1)."""
        found: dict[int, list[str]] = {0: []}
        for line in wait_until(self.printed, 90, what="the demo's next steps").splitlines():
            heading = re.match(r"^(\d+)\. ", line)
            if heading:
                found[int(heading.group(1))] = []
            elif line.startswith("  $ "):
                found[max(found)].append(line[4:])
        return found

    def sh(self, command: str, exports: tuple[str, ...] = ()) -> str:
        """One pasted line, in a shell that has had the `export` lines pasted before it."""
        done = subprocess.run(
            ["bash", "-c", "\n".join([*exports, command])],
            cwd=self.folder / "work",
            capture_output=True,
            text=True,
            timeout=120,
            env=base_env(),
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done.stdout


def statuses(table: str) -> dict[str, str]:
    """Pipeline → status from `reconciler status` text output."""
    found = {}
    for line in table.splitlines()[1:]:
        if line and not line.startswith(" "):
            pipeline, status, *_tags = re.split(r"\s{2,}", line.strip())
            found[pipeline] = status
    return found
