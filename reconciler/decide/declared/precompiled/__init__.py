"""The schemas' validators, generated ahead of time by `python schemas/precompile.py`.

One module per kind's schema file (`pipeline.schema.json` → `pipeline.py`), each holding the
code fastjsonschema would generate at start, the name `validate` for its entry point, and the
`DIGEST` of the inlined schema it was generated from. `validator(name, digest)` hands back that
function only while the digest matches the shipped schema: a schema edited without running the
script again is compiled at start, as before, and never checked by stale code. Pure module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def module_name(schema_file: str) -> str:
    """The module of a schema file: `pipeline.schema.json` → `pipeline`."""
    return schema_file.removesuffix(".schema.json")


def validator(schema_file: str, digest: str) -> Callable[[Any], Any] | None:
    """The generated validator of `schema_file`, if one was generated from `digest`."""
    try:
        module = importlib.import_module(f"{__name__}.{module_name(schema_file)}")
    except ModuleNotFoundError:
        return None
    if getattr(module, "DIGEST", None) != digest:
        return None
    found: Callable[[Any], Any] = module.validate
    return found
