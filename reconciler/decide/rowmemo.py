"""Rows again after a change: only the rows whose inputs changed are made again.

`rows_since(inputs, earlier)` gives exactly `rows(inputs)` (a property test holds it over random
sequences of commits, readbacks, records and clock ticks), but reuses each row of `earlier`
whose inputs are unchanged. A row is made again when:

- its pipeline's declaration, resolved Cores or components changed, or where it is deployed;
- a deployment or a recorded error of one of its cells changed;
- one of its Cores changed as rows see it: reached or not, why, what the Core holds (the same
  listing is the same object, `shell.core.client`), stale or not at the new `now`, the streams
  its unmanaged components use, or which pipelines deployed there use which component (what
  `sharing` reads).

Comparisons go by identity first (an unchanged file, listing or record is the same object), by
value only where the identity differs. The caller keeps the `Earlier` returned and passes it
back; nothing is kept here. Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.decide.observed import Observation
from reconciler.decide.rows import Index, Inputs, Row, index_of, row, stale

Everything = None


@dataclass(frozen=True, slots=True)
class Earlier:
    """The rows of one call and what they were made from."""

    inputs: Inputs
    index: Index
    rows: Mapping[str, Row]
    on_core: Mapping[str, frozenset[str]]
    """Per Core, the pipelines with a cell there."""


def rows_since(inputs: Inputs, earlier: Earlier | None) -> tuple[tuple[Row, ...], Earlier]:
    """`rows(inputs)`, reusing the unchanged rows of `earlier`; and the `Earlier` of this call."""
    index = index_of(inputs)
    names = sorted(set(inputs.state.pipelines) | set(index.deployed_on))
    dirty = _dirty(inputs, index, earlier, names) if earlier is not None else Everything
    kept = earlier.rows if earlier is not None else {}
    made = tuple(
        kept[name]
        if dirty is not Everything and name not in dirty and name in kept
        # a row already made is reused only when nothing it depends on changed
        else row(inputs, name, index)
        for name in names
    )
    on_core: dict[str, set[str]] = {}
    for one in made:
        for cell in one.cells:
            on_core.setdefault(cell.core, set()).add(one.pipeline)
    frozen = {core: frozenset(pipelines) for core, pipelines in on_core.items()}
    return made, Earlier(inputs, index, {one.pipeline: one for one in made}, frozen)


def _dirty(inputs: Inputs, index: Index, earlier: Earlier, names: list[str]) -> set[str] | None:
    """The pipelines whose rows may differ from `earlier`'s (None: every one)."""
    before = earlier.inputs
    if inputs.interval != before.interval:
        return Everything
    dirty = {name for name in names if _pipeline_changed(inputs, index, earlier, name)}
    dirty |= {cell[1] for cell in _changed(before.records.deployments, inputs.records.deployments)}
    dirty |= {key[1] for key in _changed(before.records.errors, inputs.records.errors)}
    for core in _cores_changed(inputs, index, earlier):
        dirty |= earlier.on_core.get(core, frozenset())
    return dirty


def _pipeline_changed(inputs: Inputs, index: Index, earlier: Earlier, name: str) -> bool:
    then, now = earlier.index, index
    declared = name in inputs.state.pipelines
    return (
        declared != (name in earlier.inputs.state.pipelines)
        or now.resolved.cores.get(name) != then.resolved.cores.get(name)
        or now.resolved.components.get(name) != then.resolved.components.get(name)
        or now.deployed_on.get(name) != then.deployed_on.get(name)
    )


def _cores_changed(inputs: Inputs, index: Index, earlier: Earlier) -> Iterable[str]:
    before = earlier.inputs
    cores = set(inputs.observations) | set(before.observations) | set(earlier.on_core)
    for core in cores:
        if (
            _seen_as(inputs, core) != _seen_as(before, core)
            or index.touched.get(core) != earlier.index.touched.get(core)
            or index.users.get(core) != earlier.index.users.get(core)
        ):
            yield core


def _seen_as(inputs: Inputs, core: str) -> tuple[Any, ...] | None:
    """A Core's observation as far as rows read it (the listing by identity, then by value)."""
    found: Observation | None = inputs.observations.get(core)
    if found is None:
        return None
    listing = _Same(found.components)
    return (found.seen, found.reachable, found.reason, found.message, listing, stale(inputs, core))


class _Same:
    """A mapping compared by identity first: an unchanged listing is the same object."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and (other.value is self.value or other.value == self.value)

    __hash__ = None  # type: ignore[assignment]


def _changed(before: Mapping[Any, Any], now: Mapping[Any, Any]) -> Iterable[Any]:
    """The keys whose values differ between two mappings (identity first, then value)."""
    if before is now:
        return
    for key in before.keys() | now.keys():
        old, new = before.get(key), now.get(key)
        if old is not new and old != new:
            yield key
