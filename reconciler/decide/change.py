"""What a change does at the declaration level: from the declared state at a base revision to
the one at a new revision, before any Core is asked (`reconciler plan --base`).

Per Core: the pipelines it gains and loses (assignments resolved at each revision, selectors
included), and Cores declared or removed. Per component used by any pipeline: created,
removed, or its spec changed, field by field (values under secret-named keys masked, as
everywhere a value is shown). This is what a reviewer reads first; the per-Core operations of
the plan (`decide.plan`) then say what a Deploy All would run against what is deployed.
Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.decide import resolve
from reconciler.decide.components import Key
from reconciler.decide.declared.schemas import SECRET_KEYS
from reconciler.decide.diff import MASKED, holds, masked
from reconciler.decide.diffview import value_text
from reconciler.decide.markdown import code, text
from reconciler.decide.model import DeclaredState

_ABSENT = object()


@dataclass(frozen=True, slots=True)
class FieldEdit:
    """One field of a component spec: its value before and after (`None` + flag: absent)."""

    path: str
    before: Any
    after: Any
    added: bool = False
    removed: bool = False

    def line(self) -> str:
        before = "absent" if self.added else value_text(self.before)
        after = "absent" if self.removed else value_text(self.after)
        return f"{self.path}: {before} -> {after}"


@dataclass(frozen=True, slots=True)
class ComponentEdit:
    kind: str
    name: str
    change: str
    """`created`, `removed` or `changed`."""
    fields: tuple[FieldEdit, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class CoreEdit:
    core: str
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    note: str | None = None
    """`declared` for a new Core, `removed` for one no longer declared."""


@dataclass(frozen=True, slots=True)
class Change:
    cores: tuple[CoreEdit, ...]
    components: tuple[ComponentEdit, ...]

    @property
    def empty(self) -> bool:
        return not self.cores and not self.components


def change(base: DeclaredState, new: DeclaredState) -> Change:
    """The declaration-level change from `base` to `new`."""
    return Change(_cores(base, new), _components(base, new))


def _placed(state: DeclaredState) -> dict[str, set[str]]:
    on: dict[str, set[str]] = {core: set() for core in state.cores}
    for pipeline, cores in resolve.assignments(state).items():
        for core in cores:
            on.setdefault(core, set()).add(pipeline)
    return on


def _cores(base: DeclaredState, new: DeclaredState) -> tuple[CoreEdit, ...]:
    before, after = _placed(base), _placed(new)
    found = []
    for core in sorted(set(before) | set(after)):
        had, has = before.get(core, set()), after.get(core, set())
        note = "declared" if core not in base.cores else None
        note = "removed" if core not in new.cores else note
        if had != has or note:
            found.append(CoreEdit(core, tuple(sorted(has - had)), tuple(sorted(had - has)), note))
    return tuple(found)


def _specs(state: DeclaredState) -> dict[Key, Mapping[str, Any]]:
    return {
        spec.key: spec.body
        for pipeline in sorted(state.pipelines)
        for spec in resolve.components(state, pipeline)
    }


def _components(base: DeclaredState, new: DeclaredState) -> tuple[ComponentEdit, ...]:
    before, after = _specs(base), _specs(new)
    found = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0].value, k[1])):
        kind, name = key[0].value, key[1]
        if key not in before:
            found.append(ComponentEdit(kind, name, "created"))
        elif key not in after:
            found.append(ComponentEdit(kind, name, "removed"))
        elif not (holds(after[key], before[key]) and holds(before[key], after[key])):
            edits = tuple(field_edits(before[key], after[key]))
            found.append(ComponentEdit(kind, name, "changed", edits))
    return tuple(found)


def field_edits(before: Any, after: Any, path: str = "") -> list[FieldEdit]:
    """Every leaf that differs between two spec bodies, both ways (added and removed keys)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            where = f"{path}.{key}" if path else str(key)
            old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
            secret = key in SECRET_KEYS
            if old is _ABSENT:
                found.append(FieldEdit(where, None, MASKED if secret else masked(new), added=True))
            elif new is _ABSENT:
                found.append(
                    FieldEdit(where, MASKED if secret else masked(old), None, removed=True)
                )
            elif secret:
                same = holds(old, new) and holds(new, old)
                found += [] if same else [FieldEdit(where, MASKED, MASKED)]
            else:
                found += field_edits(old, new, where)
        return found
    if holds(after, before) and holds(before, after):
        return []
    return [FieldEdit(path or ".", masked(before), masked(after))]


def change_text(found: Change, base: str, new: str) -> list[str]:
    """The change for a terminal: Cores first, then components with their fields."""
    lines = [f"Change from {base} to {new} (declared state):"]
    if found.empty:
        return [*lines, "  nothing that a Deploy All would deploy differently", ""]
    for edit in found.cores:
        lines.append(f"  core {edit.core}: {_core_summary(edit)}")
    for component in found.components:
        lines.append(f"  {component.change} {component.label}")
        lines += [f"      {field.line()}" for field in component.fields]
    return [*lines, ""]


def _core_summary(edit: CoreEdit) -> str:
    parts = [f"newly {edit.note}" if edit.note == "declared" else edit.note or ""]
    parts += [f"gains {', '.join(edit.gained)}" if edit.gained else ""]
    parts += [f"loses {', '.join(edit.lost)}" if edit.lost else ""]
    return "; ".join(part for part in parts if part)


def change_markdown(found: Change, base: str, new: str) -> list[str]:
    """The change for a pull request: a table of Cores, a list of components with their fields."""
    lines = [f"### What the change declares ({code(base)} → {code(new)})\n"]
    if found.empty:
        return [*lines, "Nothing that a Deploy All would deploy differently.\n"]
    if found.cores:
        lines += ["| Core | Gains | Loses | Note |", "|---|---|---|---|"]
        for edit in found.cores:
            cells = [
                ", ".join(code(p, cell=True) for p in names) or "—"
                for names in (edit.gained, edit.lost)
            ]
            core = text(edit.core)
            lines.append(f"| {core} | {cells[0]} | {cells[1]} | {edit.note or '—'} |")
        lines.append("")
    for component in found.components:
        lines.append(f"- **{component.change}** {code(component.label)}")
        lines += [f"  - {code(field.line())}" for field in component.fields]
    return [*lines, ""]


def change_document(found: Change) -> dict[str, Any]:
    return {
        "cores": [
            {"core": e.core, "gained": list(e.gained), "lost": list(e.lost), "note": e.note}
            for e in found.cores
        ],
        "components": [
            {
                "kind": c.kind,
                "name": c.name,
                "change": c.change,
                "fields": [
                    {
                        "path": f.path,
                        "before": f.before,
                        "after": f.after,
                        "added": f.added,
                        "removed": f.removed,
                    }
                    for f in c.fields
                ],
            }
            for c in found.components
        ],
    }
