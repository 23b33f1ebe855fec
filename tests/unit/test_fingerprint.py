"""Fingerprints depend on specs only (reconciler.decide.fingerprint), checked with hypothesis."""

from __future__ import annotations

import random
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.decide import resolve
from reconciler.decide.components import ComponentSpec
from reconciler.decide.declared.layout import kind_for
from reconciler.decide.fingerprint import canonical_json, digest, fingerprint
from reconciler.decide.model import ComponentKind
from tests.support.declared import example_texts, parse_texts

scalars = st.one_of(
    st.text(max_size=8), st.integers(-1000, 1000), st.booleans(), st.none(), st.floats(-1e6, 1e6)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(st.text(min_size=1, max_size=6), values, min_size=1, max_size=5)


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same value with every mapping's keys inserted in another order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    return value


def specs_of(bodies_list: list[dict[str, Any]]) -> list[ComponentSpec]:
    return [
        ComponentSpec(ComponentKind.STREAM, f"c{index}", body)
        for index, body in enumerate(bodies_list)
    ]


@given(st.lists(bodies, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_key_and_component_order_never_change_the_fingerprint(
    bodies_list: list[dict[str, Any]], rng: random.Random
) -> None:
    """Reordering keys anywhere, or the components themselves, keeps the fingerprint."""
    specs = specs_of(bodies_list)
    reordered = [ComponentSpec(s.kind, s.name, shuffled(s.body, rng)) for s in specs]
    rng.shuffle(reordered)
    assert fingerprint(reordered) == fingerprint(specs)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every scalar and every empty container."""
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, (*path, index))]
    return [path]


def changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 0
    return None


def replace(value: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return changed(value)
    if isinstance(value, dict):
        return {**value, path[0]: replace(value[path[0]], path[1:])}
    copy = list(value)
    copy[path[0]] = replace(copy[path[0]], path[1:])
    return copy


@given(bodies, st.data())
def test_any_change_to_a_spec_value_changes_the_fingerprint(
    body: dict[str, Any], data: st.DataObject
) -> None:
    """Changing one leaf value anywhere in a spec gives a different fingerprint."""
    path = data.draw(st.sampled_from(leaves(body)))
    before = [ComponentSpec(ComponentKind.TASK, "t", body)]
    after = [ComponentSpec(ComponentKind.TASK, "t", replace(body, path))]
    assert fingerprint(after) != fingerprint(before)


def desired_fingerprints(files: dict[str, str]) -> dict[str, dict[str, str]]:
    state = parse_texts(files)
    table = resolve.desired(state)
    return {
        core: {p: fingerprint(specs) for p, specs in pipes.items()} for core, pipes in table.items()
    }


EXAMPLE = example_texts()
BASELINE = desired_fingerprints(EXAMPLE)


def relaid(files: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The same documents, shuffled, with keys reordered, spread over new files in their folders."""
    documents: list[tuple[str, dict[str, Any]]] = []
    for path, text in files.items():
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        documents += [(folder, doc) for doc in yaml.safe_load_all(text) if doc is not None]
    rng.shuffle(documents)
    out: dict[str, list[str]] = {}
    for folder, doc in documents:
        name = f"{folder}/part-{rng.randrange(3)}.yaml" if folder else "reconciler.yaml"
        out.setdefault(name, []).append(yaml.safe_dump(shuffled(doc, rng), sort_keys=False))
    return {path: "---\n".join(texts) for path, texts in out.items()}


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_file_layout_and_document_order_never_change_desired_fingerprints(
    rng: random.Random,
) -> None:
    """The example repository re-laid out at random keeps every (Core, pipeline) fingerprint."""
    files = relaid(EXAMPLE, rng)
    assert all(kind_for(path) is not None for path in files)
    assert desired_fingerprints(files) == BASELINE


def test_canonical_json_is_compact_sorted_and_keeps_unicode() -> None:
    """Canonical JSON sorts keys, drops whitespace and keeps non-ASCII text as is."""
    assert (
        canonical_json({"b": [1, {"d": 1, "c": "é"}], "a": None})
        == '{"a":null,"b":[1,{"c":"é","d":1}]}'
    )
    assert digest({}) == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
