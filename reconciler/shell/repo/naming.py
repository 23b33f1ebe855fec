"""What the configuration and messages say of the Git source, without loading Git.

Who the report commits are from, the folder of a SOURCE given as a local path, and any text with
the credentials of its URLs hidden. `reconciler validate` and the other commands that never
touch Git read their configuration through this module alone. Pure module (`local_path` asks
the file system whether the path exists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the report commits are from."""

    name: str = "reconciler"
    email: str = "reconciler@localhost"


def redact(text: str) -> str:
    """`text` with the credentials of any URL in it (`https://user:token@host`) replaced."""
    return _CREDENTIALS.sub(r"\1***@", text)


def local_path(source: str) -> Path | None:
    """The folder of a SOURCE given as a local path (bare or not), or None for a URL."""
    if "://" in source:
        return None
    path = Path(source).expanduser()
    return path.resolve() if path.exists() else None
