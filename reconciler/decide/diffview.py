"""How drift reads on a terminal: one line per component, then one per field, values as JSON.

Used by `reconciler status`, `plan` and `diff`. Values are shown as compact JSON and cut at
`VALUE_CHARS`; secret-named values were masked already (`decide.diff`). Pure module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from reconciler.decide.diff import ComponentDrift, FieldChange

VALUE_CHARS = 120


def drift_lines(found: Iterable[ComponentDrift]) -> list[str]:
    """`connector/out: missing`, or `task/t:` then `  query: "a" -> "b"` for each field."""
    lines = []
    for component in found:
        label = f"{component.kind.singular}/{component.name}"
        if component.missing:
            lines.append(f"{label}: missing on the Core")
            continue
        lines.append(f"{label}:")
        lines += [f"  {change_line(change)}" for change in component.fields]
    return lines


def change_line(change: FieldChange) -> str:
    """`path: deployed -> observed` (or `-> absent` when the Core lost the field)."""
    held = "absent" if change.absent else value_text(change.held)
    return f"{change.path}: {value_text(change.expected)} -> {held}"


def value_text(value: Any) -> str:
    """A value as compact JSON, cut at `VALUE_CHARS` (control characters come out escaped)."""
    shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return shown if len(shown) <= VALUE_CHARS else shown[: VALUE_CHARS - 1] + "…"
