"""The project's own standards, enforced by the test command: lint, format, types, layers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
        ["mypy", "--no-incremental"],
        ["importlinter.cli", "--no-cache"],
    ],
    ids=["ruff-lint", "ruff-format", "mypy-strict", "import-contracts"],
)
def test_tool_passes(command: list[str]) -> None:
    """The tool reports nothing to fix."""
    module, *args = command
    runner = [sys.executable, "-m", module, *args]
    if module == "importlinter.cli":
        runner = [str(Path(sys.executable).parent / "lint-imports"), *args]
    done = subprocess.run(
        runner, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
