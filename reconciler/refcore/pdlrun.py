"""Running a parsed PDL program over one event.

Semantics, chosen to match what people expect from search languages of this family:

- A field that is missing (or null) fails every comparison, `!=` included; `NOT a = 1` holds for
  an event without `a`.
- `=` / `!=` against a string compare the field's text (numbers and booleans as JSON writes them);
  a `*` in the string matches any run of characters, and the whole value must match.
- `=` / `!=` against a number compare numerically; a numeric string field counts as its number.
- `<`, `<=`, `>`, `>=` compare numerically against a number, by text against a string, and fail
  when the field cannot be compared.
- `?=` holds when the field's text contains the string.
- Dotted names read nested objects (`user.name`); a top-level key spelled with dots wins.
- `eval` sets a field (creating nested objects for a dotted name); `rename` moves a field when
  present; `fields` keeps only the named fields that are present.

Events are never changed in place: the first stage that writes works on a deep copy.

Pure module.
"""

from __future__ import annotations

import copy
import json
import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from reconciler.refcore.pdl import (
    And,
    Compare,
    Eval,
    Expression,
    FieldRef,
    Fields,
    Filter,
    Literal,
    Not,
    Operator,
    Or,
    Program,
    Rename,
    Stage,
)

Event = dict[str, Any]
_MISSING = object()
_ORDER: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
}


def run(program: Program, event: Mapping[str, Any]) -> Event | None:
    """The event after every stage of `program`, or None when a query stage dropped it."""
    current: Event = dict(event)
    copied = False
    for stage in program.stages:
        if isinstance(stage, Filter):
            if not holds(stage.expression, current):
                return None
            continue
        if not copied:
            current, copied = copy.deepcopy(current), True
        current = _apply(stage, current)
    return current


def holds(expression: Expression, event: Mapping[str, Any]) -> bool:
    """Whether the boolean `expression` is true for `event`."""
    match expression:
        case Compare(field, op, value):
            return compare(op, lookup(event, field), value)
        case Not(operand):
            return not holds(operand, event)
        case And(operands):
            return all(holds(part, event) for part in operands)
        case Or(operands):
            return any(holds(part, event) for part in operands)
    raise AssertionError(f"unknown expression {expression!r}")


def compare(op: Operator, actual: Any, expected: Literal) -> bool:
    """One comparison of a field value (or the missing marker) against a literal."""
    if actual is _MISSING or actual is None:
        return False
    if op is Operator.CONTAINS:
        return str(expected) in _text(actual)
    if op in (Operator.EQ, Operator.NE):
        return _equals(actual, expected) == (op is Operator.EQ)
    pair = _comparable(actual, expected)
    return pair is not None and _ORDER[op](*pair)


def lookup(event: Mapping[str, Any], name: str) -> Any:
    """The value at the dotted `name`, or the missing marker."""
    if name in event:
        return event[name]
    node: Any = event
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _apply(stage: Stage, event: Event) -> Event:
    match stage:
        case Eval(name, FieldRef(source)):
            value = lookup(event, source)
            if value is not _MISSING:
                _assign(event, name, copy.deepcopy(value))
        case Eval(name, value):
            _assign(event, name, value)
        case Rename(pairs):
            for old, new in pairs:
                value = _remove(event, old)
                if value is not _MISSING:
                    _assign(event, new, value)
        case Fields(names):
            kept: Event = {}
            for name in names:
                value = lookup(event, name)
                if value is not _MISSING:
                    _assign(kept, name, value)
            return kept
    return event


def _assign(event: Event, name: str, value: Any) -> None:
    if "." not in name or name in event:
        event[name] = value
        return
    *parents, leaf = name.split(".")
    node = event
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def _remove(event: Event, name: str) -> Any:
    if name in event:
        return event.pop(name)
    *parents, leaf = name.split(".")
    node: Any = event
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and leaf in node:
        return node.pop(leaf)
    return _MISSING


def _equals(actual: Any, expected: Literal) -> bool:
    if isinstance(expected, str):
        text = _text(actual)
        if "*" in expected:
            return _wildcard(expected).fullmatch(text) is not None
        return text == expected
    number = _number(actual)
    return number is not None and number == expected


def _comparable(actual: Any, expected: Literal) -> tuple[Any, Any] | None:
    if isinstance(expected, str):
        return (actual, expected) if isinstance(actual, str) else None
    number = _number(actual)
    return None if number is None else (number, expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
