"""Canonical JSON and sha256 fingerprints (SPEC §3).

A fingerprint depends only on the component specs: not on key order, not on the order documents
were written in, not on which file held them, and never on `metadata`. Pure module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from reconciler.decide.components import ComponentSpec


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is; the one serialisation every digest uses."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def digest(value: Any) -> str:
    """`sha256:` and the hex digest of the canonical JSON of `value`."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def fingerprint(specs: Iterable[ComponentSpec]) -> str:
    """The fingerprint of a set of component specs, independent of their order."""
    entries = sorted(
        ({"kind": spec.kind.value, "name": spec.name, "spec": spec.body} for spec in specs),
        key=lambda entry: (entry["kind"], entry["name"]),
    )
    return digest(entries)
