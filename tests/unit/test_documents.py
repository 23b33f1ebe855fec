"""Bounded YAML parsing: limits, locations and plain data (reconciler.decide.declared.documents)."""

from __future__ import annotations

import pytest

from reconciler.decide.declared.documents import Limits, parse_yaml

BILLION_LAUGHS = b"""
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (BILLION_LAUGHS, 2, "document expands to more than 200000 nodes (alias bomb?)"),
        (b"a: " + b"[" * 70 + b"]" * 70, 1, "document nests deeper than 64 levels"),
        (b"a: &x [*x]\n", 1, "document refers to itself through an alias"),
        (b"k: 1\n" + b"v: \x00\x01\n", 1, "file is binary (it contains NUL bytes), not YAML"),
        (b"a: 1\nb: caf\xe9\n", 2, "file is not valid UTF-8 (byte 0xe9)"),
        (b"a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
        (b"a: 1\n? [x]\n: 2\n", 2, "mapping keys must be plain strings"),
        (b"a: [1, 2\nb: 3\n", 2, "YAML syntax error: did not find expected ',' or ']'"),
        (b"a: .nan\n", 1, "numbers must be finite (no .nan or .inf)"),
        (b"a: !!binary aGVsbG8=\n", 1, "value of YAML type binary is not plain data"),
        (b"a: !!set {x, y}\n", 1, "value of YAML type set is not plain data"),
    ],
)
def test_refused_input(data: bytes, line: int, message: str) -> None:
    """Each unsafe or malformed input yields one problem at the right line and no documents."""
    documents, problems = parse_yaml("f.yaml", data)
    assert documents == []
    assert [(p.path, p.line, p.message) for p in problems] == [("f.yaml", line, message)]


def test_python_tags_are_refused() -> None:
    """A tag that would build a Python object is refused, never constructed."""
    _documents, problems = parse_yaml("f.yaml", b"a: !!python/object/apply:os.system ['true']\n")
    assert problems[0].message.startswith(
        "unsupported YAML value: could not determine a constructor"
    )


def test_oversized_file_is_refused_unparsed() -> None:
    """A file over the size limit is refused by size alone."""
    _documents, problems = parse_yaml("big.yaml", b"a: 1\n" * 10, Limits(max_file_bytes=20))
    assert problems[0].message == "file is larger than the 20 byte limit"


def test_alias_count_limit() -> None:
    """More alias uses than allowed fail fast even when the expansion would be small."""
    data = b"a: &x 1\nb: [" + b", ".join([b"*x"] * 5) + b"]\n"
    _documents, problems = parse_yaml("f.yaml", data, Limits(max_aliases=4))
    assert problems[0].message == "document uses more than 4 aliases"


def test_document_count_limit() -> None:
    """A file with more documents than allowed is refused."""
    _documents, problems = parse_yaml(
        "f.yaml", b"a: 1\n---\na: 2\n---\na: 3\n", Limits(max_documents=2)
    )
    assert (problems[0].line, problems[0].message) == (5, "file has more than 2 documents")


def test_lines_point_at_keys_and_items() -> None:
    """Every key and list item is located at the line a person would look at."""
    [document], _ = parse_yaml(
        "f.yaml", b"---\nname: x\nsinks:\n  - a\n  - b\nconfig:\n  path: p\n"
    )
    assert document.origin.line == 2
    assert document.line_at(["sinks"]) == 3
    assert document.line_at(["sinks", 1]) == 5
    assert document.line_at(["config", "path"]) == 7
    assert document.line_at(["config", "missing", "deeper"]) == 6


def test_timestamps_stay_strings_and_merge_keys_work() -> None:
    """Dates are not turned into objects, and `<<` merges keep working."""
    data = b"when: 2026-11-28\nbase: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n"
    [document], problems = parse_yaml("f.yaml", data)
    assert problems == []
    assert document.body == {"when": "2026-11-28", "base": {"x": 1}, "d": {"x": 1, "y": 2}}


def test_several_documents_and_empty_ones() -> None:
    """Documents come in file order with their own start lines; empty ones are kept as None."""
    documents, _ = parse_yaml("f.yaml", b"a: 1\n---\n---\nb: 2\n")
    assert [(d.origin.line, d.body) for d in documents] == [(1, {"a": 1}), (3, None), (4, {"b": 2})]
