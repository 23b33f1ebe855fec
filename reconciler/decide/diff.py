"""Comparing what a Core holds with what was declared or deployed (SPEC §3).

A Core adds fields of its own (defaults, timestamps), so an observed body is compared on the
keys of the body it is compared with: only keys the reconciler wrote count, at every level of
nesting (list items included). A key the reconciler wrote and the Core lost is missing, so
removal counts too. Values compare as JSON data: 1 and 1.0 are one number, `true` is no number.
The comparison walks the two bodies once and builds nothing: a pass makes it for every
component on every Core.
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
from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import ObservedComponent


def same_spec(observed: ObservedComponent, expected: Mapping[str, Any]) -> bool:
    """Whether the Core holds `expected`, ignoring anything the Core added on its own."""
    return holds(expected, observed.body)


def holds(expected: Any, held: Any) -> bool:
    """Whether `held`, on `expected`'s keys (recursively), is `expected`."""
    if isinstance(expected, Mapping):
        return isinstance(held, Mapping) and all(
            key in held and holds(value, held[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(held, list)
            and len(held) == len(expected)
            and all(holds(one, other) for one, other in zip(expected, held, strict=True))
        )
    return _same_value(expected, held)


def _same_value(expected: Any, held: Any) -> bool:
    if isinstance(expected, bool) or isinstance(held, bool):
        return type(expected) is type(held) and expected == held
    return bool(expected == held) and not isinstance(held, Mapping | list)


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
        label = f"{self.kind.singular}/{self.name}"
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
    if holds(expected, held):
        return []
    return [FieldChange(path or ".", masked(expected), masked(held))]


def _key_changes(key: str, value: Any, held: Mapping[str, Any], path: str) -> list[FieldChange]:
    where = f"{path}.{key}" if path else key
    if key not in held:
        return [FieldChange(where, MASKED if key in SECRET_KEYS else masked(value), None, True)]
    if key in SECRET_KEYS:
        return [] if holds(value, held[key]) else [FieldChange(where, MASKED, MASKED)]
    return field_changes(value, held[key], where)


def masked(value: Any) -> Any:
    """`value` with everything under a secret-named key replaced by `MASKED`, recursively."""
    if isinstance(value, Mapping):
        return {k: MASKED if k in SECRET_KEYS else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value
