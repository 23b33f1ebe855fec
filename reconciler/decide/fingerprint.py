"""Canonical JSON and sha256 fingerprints (SPEC §3).

A fingerprint depends only on the component specs: not on key order, not on the order documents
were written in, not on which file held them, and never on `metadata`. Pure module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from reconciler.decide.canonical import canonical_json
from reconciler.decide.components import ComponentSpec

__all__ = ["canonical_json", "digest", "fingerprint"]


def digest(value: Any) -> str:
    """`sha256:` and the hex digest of the canonical JSON of `value`."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def fingerprint(specs: Iterable[ComponentSpec]) -> str:
    """The fingerprint of a set of component specs, independent of their order.

    It is the digest of the sorted list of `{kind, name, spec}` entries; each spec carries its
    entry's canonical JSON already, and the list's is those joined, so nothing is serialised
    again however many Cores and pipelines share a spec.
    """
    ordered = sorted(specs, key=lambda spec: (spec.kind.value, spec.name))
    text = "[" + ",".join(spec.canonical for spec in ordered) + "]"
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
