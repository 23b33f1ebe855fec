"""The compiled fast path and jsonschema agree on what is valid (decide.declared.schemas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.decide.declared import layout, precompiled, schemas
from reconciler.decide.declared.documents import parse_yaml
from reconciler.decide.model import Kind
from tests.support.repos import CASES

DOCUMENTS = [
    (layout.kind_for(path.relative_to(case).as_posix()), document.body)
    for folder in ("valid", "invalid")
    for case in [CASES / "validate" / "base", *sorted((CASES / "validate" / folder).iterdir())]
    for path in sorted(case.rglob("*.y*ml"))
    for document in parse_yaml(path.name, path.read_bytes())[0]
    if layout.kind_for(path.relative_to(case).as_posix()) is not None
]


def slow_valid(body: Any, kind: Kind) -> bool:
    validator = schemas.validator_for(schemas._SCHEMA_FILES[kind])
    return not list(validator.iter_errors(body))


@pytest.mark.parametrize(("kind", "body"), DOCUMENTS)
def test_every_case_document_is_judged_alike(kind: Kind, body: Any) -> None:
    """For every document of the validation cases, both validators say the same."""
    assert schemas.is_valid(body, kind) == slow_valid(body, kind)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.sampled_from(
        ["", "raw", "in", "source", "sink", "file", "kafka", "processing", "detection", "block",
         "reconciler/v1", "Stream", "Connector", "Task", "a\\n", "UPPER", "x" * 70, "udp", "tcp"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "path", "port", "mode", "address", "env", "file", "topic"]),
        inner,
        max_size=3,
    ),
    max_leaves=8,
)  # fmt: skip
KEYS = {
    Kind.STREAM: ["apiVersion", "kind", "name", "wal", "retention", "backpressure"],
    Kind.CONNECTOR: ["apiVersion", "kind", "name", "type", "class", "stream", "enabled", "config"],
    Kind.TASK: ["apiVersion", "kind", "name", "mode", "source_stream", "sink_streams", "query",
                "query_ids"],
    Kind.CORE: ["apiVersion", "kind", "name", "url", "token", "tls", "labels"],
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(KEYS)), st.data())
def test_random_documents_are_judged_alike(kind: Kind, data: st.DataObject) -> None:
    """Random bodies over a kind's keys: the compiled validator never disagrees."""
    body = data.draw(st.dictionaries(st.sampled_from(KEYS[kind]), VALUES, max_size=8))
    assert schemas.is_valid(body, kind) == slow_valid(body, kind)


def test_the_cases_hold_both_valid_and_invalid_documents() -> None:
    """The table above is no tautology: it judges documents of both kinds."""
    verdicts = {schemas.is_valid(body, kind) for kind, body in DOCUMENTS}
    assert verdicts == {True, False}
    assert len(DOCUMENTS) >= 80
    assert Path(CASES).is_dir()


@pytest.mark.parametrize("name", schemas.compiled_names())
def test_the_shipped_validators_were_generated_from_the_shipped_schemas(name: str) -> None:
    """Each kind is checked by its generated module: run `python schemas/precompile.py` when not.

    A schema edited without regenerating is still checked right (compiled at start), but every
    command pays for compiling it again.
    """
    found = schemas.compiled_for(name)
    assert found.__module__ == f"{precompiled.__name__}.{precompiled.module_name(name)}", (
        f"{name} changed since its validator was generated: run python schemas/precompile.py"
    )


def test_a_generated_validator_from_another_schema_is_not_used() -> None:
    """A digest that does not match the shipped schema's means compiling, never stale code."""
    name = schemas.compiled_names()[0]
    assert precompiled.validator(name, "0" * 64) is None
    assert precompiled.validator("missing.schema.json", "0" * 64) is None
    current = schemas.digest_of(schemas.inlined_for(name))
    assert precompiled.validator(name, current) is not None
