"""Protocol conformance of a real reference Core: every route, every error code, every schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory
from tests.support.protocol import assert_error, assert_valid

SCHEMAS = {"streams": "Stream", "connectors": "Connector", "tasks": "Task", "queries": "Query"}
BASE: list[tuple[str, dict[str, Any]]] = [
    ("streams", {"name": "s-in"}),
    ("streams", {"name": "s-out", "backpressure": "drop", "wal": True, "retention": "1h"}),
    ("queries", {"name": "q1", "pdl": 'app = "sshd"', "description": "ssh"}),
    (
        "connectors",
        {
            "name": "c-in",
            "type": "source",
            "class": "file",
            "stream": "s-in",
            "config": {"path": "in.log"},
        },
    ),
    (
        "connectors",
        {
            "name": "c-out",
            "type": "sink",
            "class": "file",
            "stream": "s-out",
            "config": {"path": "out.jsonl"},
        },
    ),
    (
        "tasks",
        {
            "name": "t-proc",
            "mode": "processing",
            "source_stream": "s-in",
            "sink_streams": ["s-out"],
            "query": "a = 1",
        },
    ),
    (
        "tasks",
        {
            "name": "t-detect",
            "mode": "detection",
            "source_stream": "s-in",
            "sink_streams": ["s-out"],
            "query_ids": ["q1"],
        },
    ),
]
ROUTES = [
    ("GET", "health"),
    ("GET", "status"),
    ("GET", "metrics"),
    *[(method, kind) for kind in SCHEMAS for method in ("GET", "POST")],
    *[(method, f"{kind}/x") for kind in SCHEMAS for method in ("GET", "PUT", "DELETE")],
    *[
        ("POST", f"{kind}/x/{verb}")
        for kind in ("connectors", "tasks")
        for verb in ("start", "stop", "restart")
    ],
    ("GET", "no/such/route"),
]


@pytest.fixture(scope="module")
def core(module_core_factory: CoreFactory) -> CoreProcess:
    # a high threshold: this module sends many unauthenticated requests on purpose
    core = module_core_factory("proto", admin=False, extra_args=["--lockout-threshold", "10000"])
    with core.client() as client:
        for kind, body in BASE:
            assert client.post(kind, json=body).status_code == 201
    return core


@pytest.fixture
def client(core: CoreProcess) -> Iterator[httpx.Client]:
    with core.client() as client:
        yield client


def test_health(client: httpx.Client) -> None:
    """Health names the Core and its version."""
    response = client.get("health")
    assert response.status_code == 200
    assert_valid("Health", response.json())
    assert response.json()["name"] == "proto"


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
def test_every_route_needs_the_token(
    core: CoreProcess, method: str, path: str, authorization: str | None
) -> None:
    """Without the right bearer token every route, health included, answers 401."""
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.request(method, f"{core.api_url}{path}", headers=headers, timeout=10)
    body = assert_error(response, 401, "unauthorized")
    assert core.token not in body["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_status_and_metrics(client: httpx.Client) -> None:
    """Status lists every connector and task; metrics count per component and per stream."""
    status = client.get("status").json()
    assert_valid("Status", status)
    assert {c["id"] for c in status["connectors"]} >= {"c-in", "c-out"}
    assert {t["id"] for t in status["tasks"]} >= {"t-proc", "t-detect"}
    metrics = client.get("metrics").json()
    assert_valid("Metrics", metrics)
    assert metrics["tasks"]["t-proc"] == {
        "events_in": 0,
        "events_out": 0,
        "dropped": 0,
        "errors": 0,
    }
    assert metrics["streams"]["s-in"] == {"depth": 0, "capacity": 1024, "dropped": 0}


@pytest.mark.parametrize(("kind", "body"), BASE, ids=[body["name"] for _, body in BASE])
def test_read_back_matches_schema_with_defaults(
    client: httpx.Client, kind: str, body: dict[str, Any]
) -> None:
    """A stored component reads back with what was sent, the Core's defaults and its own fields."""
    stored = client.get(f"{kind}/{body['name']}").json()
    assert_valid(SCHEMAS[kind], stored)
    assert stored["id"] == body["name"]
    for key, value in body.items():
        assert stored[key] == value if key != "config" else stored[key].items() >= value.items()
    assert stored in client.get(kind).json()


@pytest.mark.parametrize(
    ("kind", "body", "defaults"),
    [
        ("streams", {"name": "d-stream"}, {"wal": False, "backpressure": "block"}),
        (
            "connectors",
            {
                "name": "d-http-in",
                "type": "source",
                "class": "http",
                "stream": "s-in",
                "config": {"endpoint": "http://127.0.0.1:9/x"},
            },
            {
                "enabled": True,
                "state": "stopped",
                "error": None,
                "config": {
                    "endpoint": "http://127.0.0.1:9/x",
                    "method": "GET",
                    "interval_ms": 10000,
                },
            },
        ),
        (
            "connectors",
            {
                "name": "d-http-out",
                "type": "sink",
                "class": "http",
                "stream": "s-out",
                "config": {"endpoint": "http://127.0.0.1:9/x"},
            },
            {"config": {"endpoint": "http://127.0.0.1:9/x", "method": "POST"}},
        ),
    ],
)
def test_crud_cycle(
    client: httpx.Client, kind: str, body: dict[str, Any], defaults: dict[str, Any]
) -> None:
    """POST creates with defaults, POST again conflicts, PUT replaces, DELETE removes."""
    created = client.post(kind, json=body)
    assert created.status_code == 201
    assert_valid(SCHEMAS[kind], created.json())
    assert created.json().items() >= defaults.items()
    assert_error(client.post(kind, json=body), 409, "already_exists")
    replaced = client.put(f"{kind}/{body['name']}", json={**body, "metadata": {"revision": "r2"}})
    assert replaced.status_code == 200
    assert replaced.json()["metadata"] == {"revision": "r2"}
    assert replaced.json()["created_at"] == created.json()["created_at"]
    assert client.delete(f"{kind}/{body['name']}").status_code == 204
    assert_error(client.get(f"{kind}/{body['name']}"), 404, "not_found")


def test_put_creates_and_fills_in_the_name(client: httpx.Client) -> None:
    """PUT of an unknown id creates it (201), taking the name from the path."""
    response = client.put("queries/q-put", json={"pdl": "a = 1"})
    assert response.status_code == 201
    assert response.json()["name"] == "q-put"
    assert client.put("queries/q-put", json={"pdl": "a = 2"}).status_code == 200


def test_body_read_back_can_be_sent_again(client: httpx.Client) -> None:
    """A GET body, with the Core's own fields, is accepted back by PUT."""
    body = client.get("connectors/c-out").json()
    response = client.put("connectors/c-out", json=body)
    assert response.status_code == 200
    assert response.json()["config"] == body["config"]


def test_metadata_is_opaque(client: httpx.Client) -> None:
    """Any metadata object is stored and returned exactly."""
    metadata = {
        "managed-by": "reconciler",
        "pipelines": ["a", "b"],
        "nested": {"n": 1.5, "x": None},
    }
    client.put("streams/meta", json={"name": "meta", "metadata": metadata})
    assert client.get("streams/meta").json()["metadata"] == metadata


CONNECTOR = {"type": "source", "class": "file", "stream": "s-in", "config": {"path": "x"}}
ERRORS: list[tuple[str, str, Any, int, str, str]] = [
    ("POST", "streams", b"{not json", 400, "invalid_json", "not valid JSON"),
    ("POST", "streams", b"", 400, "invalid_json", "empty"),
    ("POST", "streams", {"name": "Bad Name"}, 422, "invalid_body", "'name'"),
    ("POST", "streams", {"name": "x", "kind": "Stream"}, 422, "invalid_body", "'kind'"),
    ("POST", "connectors", {"name": "x", **CONNECTOR, "config": {}}, 422, "invalid_body", "'path'"),
    ("PUT", "streams/x", {"name": "y"}, 422, "invalid_body", "must equal the id 'x'"),
    (
        "POST",
        "tasks",
        {
            "name": "x",
            "mode": "processing",
            "source_stream": "s-in",
            "sink_streams": ["s-out"],
            "query": "status >= | x",
        },
        422,
        "invalid_pdl",
        "pdl error at position 11: expected a value after '>='",
    ),
    ("PUT", "queries/x", {"pdl": 'a = "open'}, 422, "invalid_pdl", "position 5"),
    ("PUT", "connectors/c-in", {**CONNECTOR, "type": "sink"}, 422, "immutable_field", "'type'"),
    (
        "POST",
        "connectors",
        {"name": "x", **CONNECTOR, "stream": "ghost"},
        422,
        "unknown_reference",
        "stream 'ghost'",
    ),
    (
        "POST",
        "tasks",
        {
            "name": "x",
            "mode": "detection",
            "source_stream": "s-in",
            "sink_streams": ["s-out"],
            "query_ids": ["ghost"],
        },
        422,
        "unknown_reference",
        "query 'ghost'",
    ),
    (
        "PUT",
        "tasks/x",
        {
            "mode": "processing",
            "source_stream": "s-in",
            "sink_streams": ["ghost"],
            "query": "a = 1",
        },
        422,
        "unknown_reference",
        "stream 'ghost'",
    ),
    ("POST", "streams", {"name": "s-in"}, 409, "already_exists", "'s-in' already exists"),
    ("DELETE", "streams/s-in", None, 409, "in_use", "connector 'c-in'"),
    ("DELETE", "queries/q1", None, 409, "in_use", "task 't-detect'"),
    ("GET", "streams/ghost", None, 404, "not_found", "stream 'ghost'"),
    ("DELETE", "tasks/ghost", None, 404, "not_found", "task 'ghost'"),
    ("POST", "tasks/ghost/start", None, 404, "not_found", "task 'ghost'"),
    ("POST", "streams/s-in/start", None, 404, "not_found", "no route"),
    ("GET", "pipelines", None, 404, "not_found", "no route /api/v1/pipelines"),
    ("DELETE", "health", None, 405, "method_not_allowed", "DELETE"),
    ("PATCH", "streams/s-in", {}, 405, "method_not_allowed", "PATCH"),
    ("POST", "streams", b"[" * 2_000_000, 413, "body_too_large", "larger than"),
]


@pytest.mark.parametrize(
    "case", ERRORS, ids=[f"{case[3]}-{case[4]}-{case[0]}-{case[1]}" for case in ERRORS]
)
def test_error_codes(client: httpx.Client, case: tuple[str, str, Any, int, str, str]) -> None:
    """Each refused request answers the protocol's JSON error with the right status and code."""
    method, path, body, status, code, fragment = case
    content = body if isinstance(body, bytes) else None
    payload = None if isinstance(body, bytes) else body
    response = client.request(method, path, content=content, json=payload)
    assert fragment in assert_error(response, status, code)["message"]


def test_method_not_allowed_names_the_allowed_methods(client: httpx.Client) -> None:
    """A 405 carries Allow."""
    assert set(client.delete("metrics").headers["allow"].split(", ")) >= {"GET"}


def test_admin_routes_absent_without_admin_token(core: CoreProcess) -> None:
    """Without --admin-token-file the fault routes do not exist."""
    response = httpx.get(
        f"{core.admin_url}faults", headers={"Authorization": f"Bearer {core.token}"}
    )
    assert_error(response, 404, "not_found")
