"""Where the files that ship with the program live: JSON Schemas, the example repository, docs.

An installed wheel carries them under `reconciler/_data/`; a source checkout (and an editable
install) has them at the top of the repository. Both are part of the program, not input.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_data"
_CHECKOUT = Path(__file__).resolve().parent.parent


def data_path(name: str) -> Path:
    """The path of a shipped folder or file, such as `schemas` or `example-repo`."""
    for base in (_PACKAGED, _CHECKOUT):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped resource {name!r} is missing from this installation")
