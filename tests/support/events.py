"""Writing events into files and reading what Cores wrote, with polling instead of sleeping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cores import wait_until


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The complete JSON lines of `path` (none when it does not exist yet)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(line) for line in lines]


def wait_for_events(path: Path, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The events of `path` once it holds at least `count`."""

    def enough() -> list[dict[str, Any]] | None:
        events = read_jsonl(path)
        return events if len(events) >= count else None

    return wait_until(enough, timeout, what=f"{count} event(s) in {path}")


def append_lines(path: Path, *lines: str | dict[str, Any]) -> None:
    """Append lines (dicts as JSON) to `path`, as a logging program would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write((json.dumps(line) if isinstance(line, dict) else line) + "\n")
