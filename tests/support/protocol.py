"""The Core protocol's schemas (docs/core-protocol.openapi.yaml), for checking real responses.

    assert_valid("Connector", response.json())

Schemas are OpenAPI 3.1, which is JSON Schema 2020-12; references resolve within the document.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "core-protocol.openapi.yaml"
_URI = "urn:reconciler:core-protocol"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for `components.schemas.<name>`."""
    resource = Resource.from_contents(document(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{name}"}, registry=registry)


def assert_valid(name: str, instance: Any) -> None:
    """Fail with every violation when `instance` does not match the schema `name`."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{name} schema violations: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors
    )


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the protocol's JSON error with this status and code; returns the body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert_valid("Error", body)
    assert body["code"] == code, body
    return body
