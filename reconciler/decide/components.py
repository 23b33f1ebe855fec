"""Components as the pure core handles them: a spec, its place in the create order, whether it runs.

A component is one stream, query, connector or task on a Core, named by its `Key` (kind, name).
Deploy order, start order and "is it running" all start from these few values. Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from reconciler.decide.canonical import canonical_json
from reconciler.decide.model import ComponentKind, ConnectorType

Key = tuple[ComponentKind, str]
"""A component on a Core: its kind and its name."""


class OpKind(StrEnum):
    """What a plan does to one component on one Core."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Role(IntEnum):
    """A component's place in the create order of SPEC §4 (deletes run in the reverse order)."""

    STREAM = 0
    QUERY = 1
    SINK = 2
    TASK = 3
    SOURCE = 4


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One component as the Core should hold it.

    `canonical` is the canonical JSON of `{kind, name, spec}`, made once with the spec: every
    fingerprint and digest of the spec reads it instead of serialising the body again.
    """

    kind: ComponentKind
    name: str
    body: Mapping[str, Any]
    canonical: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        entry = {"kind": self.kind.value, "name": self.name, "spec": self.body}
        object.__setattr__(self, "canonical", canonical_json(entry))

    @property
    def role(self) -> Role:
        return role_of(self.kind, self.body)

    @property
    def key(self) -> Key:
        return (self.kind, self.name)


def role_of(kind: ComponentKind, body: Mapping[str, Any]) -> Role:
    """The create-order role of a component of `kind` with this body."""
    if kind is ComponentKind.CONNECTOR:
        return Role.SOURCE if body.get("type") == ConnectorType.SOURCE.value else Role.SINK
    return {
        ComponentKind.STREAM: Role.STREAM,
        ComponentKind.QUERY: Role.QUERY,
        ComponentKind.TASK: Role.TASK,
    }[kind]


def runnable(specs: Iterable[ComponentSpec]) -> list[ComponentSpec]:
    """The connectors and tasks among `specs` that can run (disabled connectors cannot)."""
    kinds = (ComponentKind.CONNECTOR, ComponentKind.TASK)
    return [s for s in specs if s.kind in kinds and s.body.get("enabled", True) is not False]
