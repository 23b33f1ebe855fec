"""Comparing what a Core holds with what was declared or deployed (SPEC §3).

A Core adds fields of its own (defaults, timestamps), so an observed body is first projected onto
the keys of the body it is compared with: only keys the reconciler wrote count, at every level of
nesting. A key the reconciler wrote and the Core lost is kept as missing, so removal counts too.
`drift` says what differs, field by field, for reports and `reconciler diff`; values under
secret-named keys (`token`, `password`, …) are masked there, as everywhere a value is shown.
Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.decide.components import ComponentSpec
from reconciler.decide.declared.schemas import SECRET_KEYS
from reconciler.decide.fingerprint import digest
from reconciler.decide.model import ComponentKind
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


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a component that differs: where, what was expected, what the Core holds.

    Values are JSON-ready; a value under a secret-named key is shown as `MASKED`, and a field
    the Core does not hold at all as `None` with `absent` set.
    """

    path: str
    expected: Any
    held: Any
    absent: bool = False


@dataclass(frozen=True, slots=True)
class ComponentDrift:
    """A component a Core does not hold as expected: missing, or with the fields that differ."""

    kind: ComponentKind
    name: str
    missing: bool
    fields: tuple[FieldChange, ...] = ()

    @property
    def summary(self) -> str:
        """One line: `connector/web-out missing` or `task/t: query, sink_streams[0]`."""
        label = f"{self.kind.value[:-1]}/{self.name}"
        if self.missing:
            return f"{label} missing"
        return f"{label}: {', '.join(change.path for change in self.fields)}"


MASKED = "***"


def drift(
    expected: Iterable[ComponentSpec], held: Mapping[Any, ObservedComponent]
) -> list[ComponentDrift]:
    """Every expected component the Core does not hold as expected, with what differs."""
    found = []
    for spec in expected:
        observed = held.get(spec.key)
        if observed is None:
            found.append(ComponentDrift(spec.kind, spec.name, missing=True))
        elif not same_spec(observed, spec.body):
            changes = tuple(field_changes(spec.body, observed.body))
            found.append(ComponentDrift(spec.kind, spec.name, missing=False, fields=changes))
    return found


def field_changes(expected: Any, held: Any, path: str = "") -> list[FieldChange]:
    """The leaves where `held`, projected onto `expected`'s keys, differs from `expected`."""
    if isinstance(expected, Mapping) and isinstance(held, Mapping):
        return [
            change
            for key, value in expected.items()
            for change in _key_changes(str(key), value, held, path)
        ]
    if isinstance(expected, list) and isinstance(held, list) and len(expected) == len(held):
        return [
            change
            for index, (one, other) in enumerate(zip(expected, held, strict=True))
            for change in field_changes(one, other, f"{path}[{index}]")
        ]
    if digest(expected) == digest(project(held, expected)):
        return []
    return [FieldChange(path or ".", masked(expected), masked(held))]


def _key_changes(key: str, value: Any, held: Mapping[str, Any], path: str) -> list[FieldChange]:
    where = f"{path}.{key}" if path else key
    if key not in held:
        return [FieldChange(where, MASKED if key in SECRET_KEYS else masked(value), None, True)]
    if key in SECRET_KEYS:
        same = digest(value) == digest(project(held[key], value))
        return [] if same else [FieldChange(where, MASKED, MASKED)]
    return field_changes(value, held[key], where)


def masked(value: Any) -> Any:
    """`value` with everything under a secret-named key replaced by `MASKED`, recursively."""
    if isinstance(value, Mapping):
        return {k: MASKED if k in SECRET_KEYS else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value
