"""The shipped schemas work from a local copy: no `$ref` needs a fetch of the `$id`'s host.

Editors (yaml-language-server) and CI jobs use `schemas/` as files on disk. Every reference is
relative to the schema's own folder, so it resolves the same against the `$id` (to a schema
shipped beside it) or against the file's location, and nothing is ever retrieved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from reconciler.resources import data_path

SCHEMAS = data_path("schemas")
FILES = sorted(SCHEMAS.glob("*.schema.json"))
KINDS = {
    "Core": "core",
    "Stream": "stream",
    "Connector": "connector",
    "Task": "task",
    "Query": "query",
    "Pipeline": "pipeline",
    "Assignment": "assignment",
    "Settings": "settings",
}


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def nothing_fetched(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


def local_registry() -> Registry[Any]:
    resources = [Resource.from_contents(json.loads(path.read_text())) for path in FILES]
    return Registry(retrieve=nothing_fetched).with_resources(
        (str(resource.contents["$id"]), resource) for resource in resources
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_reference_is_a_file_beside_it(path: Path) -> None:
    """Each `$ref` is relative and names a shipped file (or a place in this one)."""
    schema = json.loads(path.read_text())
    for ref in refs(schema):
        assert "://" not in ref, ref
        target = urljoin(path.as_uri(), ref).split("#")[0]
        assert Path(target.removeprefix("file://")).is_file(), ref


def test_example_documents_validate_with_nothing_fetched() -> None:
    """Every example document validates against its kind's schema from the local copy alone."""
    registry = local_registry()
    checked = 0
    for path in sorted(data_path("example-repo").rglob("*.yaml")):
        if any(part.startswith(".") for part in path.parts):
            continue
        for document in yaml.safe_load_all(path.read_text()):
            name = KINDS[document["kind"]]
            schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
            Draft202012Validator(schema, registry=registry).validate(document)
            checked += 1
    assert checked > 20
