"""JSON Schema checks per kind, with messages a person can act on.

The schemas in the top-level `schemas/` folder are the one machine form of SPEC §2; they are read
once, at first use, as part of the program. A subschema may carry `x-message`, the sentence to
show when a keyword directly inside it fails. Messages never echo the value of a secret-named key,
and a secret-named key holding a plain string is left to the literal-secret rule (validation.py)
so that it is reported once.

A document is first checked by a validator compiled from its schema (fastjsonschema: the same
schema turned into Python code once, several times faster than interpreting it); only a document
that fails is validated again by jsonschema, for every problem and its message. Both read the
same schema, so they agree on what is valid (`tests/unit/test_schemas.py` holds them to it).
The compiled code ships in `precompiled/` (compiling it at start took 0.1 s of every command);
it is used only while it was generated from the very schema shipped, else compiled at start.

Pure module (reads the shipped schema files, never input).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import fastjsonschema

from reconciler.decide.declared import precompiled
from reconciler.decide.declared.documents import Document, format_path
from reconciler.decide.model import Kind
from reconciler.errors import Problem
from reconciler.resources import data_path

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

SECRET_KEYS = frozenset({"token", "password", "secret", "api_key", "access_key", "secret_key"})
_SCHEMA_FILES = {kind: f"{kind.value.lower()}.schema.json" for kind in Kind}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


@cache
def schema_for(name: str) -> Mapping[str, Any]:
    """The shipped schema in the file `name` (for example `pipelines.schema.json`)."""
    loaded: Mapping[str, Any] = json.loads((data_path("schemas") / name).read_text("utf-8"))
    return loaded


@cache
def validator_for(name: str) -> Draft202012Validator:
    """A validator for the shipped schema file `name`, its references to other files inlined.

    Inlining once, at load, spares every validation the reference lookups (a third of the time
    of validating a large repository). jsonschema is loaded here, at the first invalid document:
    a valid repository never needs it.
    """
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    return Draft202012Validator(_inline(schema_for(name), name))


@cache
def compiled_for(name: str) -> Callable[[Any], Any]:
    """The schema file `name` compiled to a function that raises on the first violation.

    The generated module of `precompiled/` when it matches the schema, else compiled now.
    """
    inlined = inlined_for(name)
    found = precompiled.validator(name, digest_of(inlined))
    if found is not None:
        return found
    validate: Callable[[Any], Any] = fastjsonschema.compile(inlined)
    return validate


def compiled_names() -> list[str]:
    """The schema files a document of some kind is checked against."""
    return sorted(set(_SCHEMA_FILES.values()))


def inlined_for(name: str) -> dict[str, Any]:
    """The schema file `name` with its references inlined, as the compiler reads it.

    The inlined schemas use no keyword newer than draft 7, so the compiler reads them as draft 7.
    """
    inlined = dict(_inline(schema_for(name), name))
    inlined.pop("$schema", None)
    return inlined


def digest_of(inlined: dict[str, Any]) -> str:
    """The SHA-256 of a schema's canonical JSON: what a generated validator was made from."""
    canonical = json.dumps(inlined, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_valid(body: Any, kind: Kind) -> bool:
    """Whether `body` is valid against its kind's schema (the fast path alone)."""
    try:
        compiled_for(_SCHEMA_FILES[kind])(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _inline(node: Any, base: str) -> Any:
    """`node` with each `$ref` replaced by its target (the shipped schemas have no cycles)."""
    if isinstance(node, list):
        return [_inline(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {key: _inline(value, base) for key, value in node.items()}
    document, _, pointer = ref.partition("#")
    target: Any = schema_for(document or base)
    for part in filter(None, pointer.split("/")):
        target = target[part]
    rest = {key: _inline(value, base) for key, value in node.items() if key != "$ref"}
    return {**_inline(target, document or base), **rest}


def schema_problems(document: Document, kind: Kind) -> list[Problem]:
    """Every schema violation of one document of a known kind."""
    if is_valid(document.body, kind):
        return []
    validator = validator_for(_SCHEMA_FILES[kind])
    label = _label(document.body, kind)
    problems = []
    for error in validator.iter_errors(document.body):
        if _is_literal_secret(error):
            continue
        where = list(error.absolute_path)
        line = document.line_at(where)
        problems.append(Problem(document.origin.path, line, f"{label}{_message(error)}"))
    return problems


def _label(body: Any, kind: Kind) -> str:
    for key in ("name", "pipeline", "id"):
        name = body.get(key) if isinstance(body, dict) else None
        if isinstance(name, str):
            return f"{kind.value} {name!r}: "
    return f"{kind.value}: "


def _is_literal_secret(error: ValidationError) -> bool:
    path = list(error.absolute_path)
    return bool(path) and path[-1] in SECRET_KEYS and isinstance(error.instance, str)


def _secret_path(error: ValidationError) -> bool:
    return any(part in SECRET_KEYS for part in error.absolute_path)


def _message(error: ValidationError) -> str:
    where = format_path(list(error.absolute_path))
    prefix = f"{where}: " if where else ""
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if custom is not None and error.validator != "additionalProperties":
        return f"{prefix}{custom}"
    return prefix + _generic_message(error)


def _generic_message(error: ValidationError) -> str:
    explain = _EXPLAIN.get(str(error.validator))
    return explain(error) if explain is not None else "is not valid here"


def _value(error: ValidationError) -> Any:
    """The failing keyword's value in the schema (for `minimum: 1`, the 1)."""
    return error.validator_value


def _type_message(error: ValidationError) -> str:
    value = _value(error)
    names = [str(name) for name in (value if isinstance(value, list) else [value])]
    return "must be " + " or ".join(_TYPE_NAMES.get(name, name) for name in names)


def _required_message(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    missing = [key for key in _value(error) if key not in instance]
    return "missing required key(s): " + ", ".join(repr(key) for key in missing)


_EXPLAIN: dict[str, Callable[[ValidationError], str]] = {
    "required": _required_message,
    "additionalProperties": lambda e: "unknown key(s): " + ", ".join(map(repr, _extra_keys(e))),
    "enum": lambda e: "must be one of " + ", ".join(map(str, _value(e))) + _got(e),
    "const": lambda e: f"must be {_value(e)!r}" + _got(e),
    "type": _type_message,
    "minItems": lambda e: f"must list at least {_value(e)} item(s)",
    "uniqueItems": lambda e: "lists the same item more than once",
    "minLength": lambda e: "must not be empty",
    "minProperties": lambda e: "must not be empty",
    "maxLength": lambda e: f"must be at most {_value(e)} characters",
    "minimum": lambda e: f"must be at least {_value(e)}",
    "maximum": lambda e: f"must be at most {_value(e)}",
    "pattern": lambda e: "has an invalid format" + _got(e),
    "propertyNames": lambda e: "has an invalid key" + _got(e),
}


def _extra_keys(error: ValidationError) -> Iterator[str]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    return (key for key in sorted(instance) if key not in known)


def _got(error: ValidationError) -> str:
    if _secret_path(error) or isinstance(error.instance, dict | list):
        return ""
    return f" (got {error.instance!r})"
