"""Comparing what a Core holds with what was declared or deployed (SPEC §3).

A Core adds fields of its own (defaults, timestamps), so an observed body is first projected onto
the keys of the body it is compared with: only keys the reconciler wrote count, at every level of
nesting. A key the reconciler wrote and the Core lost is kept as missing, so removal counts too.
Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.decide.components import ComponentSpec
from reconciler.decide.fingerprint import digest
from reconciler.decide.observed import ObservedComponent

_ABSENT = {"$absent": True}


def project(observed: Any, template: Any) -> Any:
    """`observed` reduced to the keys of `template`, recursively through mappings."""
    if isinstance(template, Mapping) and isinstance(observed, Mapping):
        return {
            key: project(observed[key], value) if key in observed else _ABSENT
            for key, value in template.items()
        }
    return observed


def same_spec(observed: ObservedComponent, expected: Mapping[str, Any]) -> bool:
    """Whether the Core holds `expected`, ignoring anything the Core added on its own."""
    return digest(project(observed.body, expected)) == digest(expected)


def missing_or_changed(
    expected: Iterable[ComponentSpec], held: Mapping[Any, ObservedComponent]
) -> list[ComponentSpec]:
    """The expected components the Core does not hold as expected (deleted or edited)."""
    return [
        spec
        for spec in expected
        if (found := held.get(spec.key)) is None or not same_spec(found, spec.body)
    ]
