"""Component bodies: defaults the Core fills in, and refusals that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.refcore.errors import ApiError, ErrorCode
from reconciler.refcore.specs import Kind, host_port, normalize

FILE_SOURCE = {
    "name": "in",
    "type": "source",
    "class": "file",
    "stream": "s",
    "config": {"path": "x"},
}
HTTP_SOURCE = {**FILE_SOURCE, "class": "http", "config": {"endpoint": "http://127.0.0.1:1/x"}}
PROCESSING = {
    "name": "t",
    "mode": "processing",
    "source_stream": "a",
    "sink_streams": ["b"],
    "query": "x = 1",
}
DETECTION = {
    "name": "t",
    "mode": "detection",
    "source_stream": "a",
    "sink_streams": ["b"],
    "query_ids": ["q"],
}

DEFAULTS: list[tuple[Kind, dict[str, Any], dict[str, Any]]] = [
    (Kind.STREAM, {"name": "s"}, {"name": "s", "wal": False, "backpressure": "block"}),
    (Kind.CONNECTOR, FILE_SOURCE, {**FILE_SOURCE, "enabled": True}),
    (
        Kind.CONNECTOR,
        HTTP_SOURCE,
        {
            **HTTP_SOURCE,
            "enabled": True,
            "config": {**HTTP_SOURCE["config"], "method": "GET", "interval_ms": 10000},
        },
    ),
    (
        Kind.CONNECTOR,
        {**HTTP_SOURCE, "type": "sink"},
        {
            **HTTP_SOURCE,
            "type": "sink",
            "enabled": True,
            "config": {**HTTP_SOURCE["config"], "method": "POST"},
        },
    ),
    (Kind.TASK, PROCESSING, PROCESSING),
    (Kind.QUERY, {"name": "q", "pdl": "a = 1"}, {"name": "q", "pdl": "a = 1"}),
    (
        Kind.STREAM,
        {"name": "s", "id": "s", "created_at": "x", "metadata": {"k": 1}},
        {"name": "s", "wal": False, "backpressure": "block", "metadata": {"k": 1}},
    ),
]

REFUSALS: list[tuple[Kind, object, str]] = [
    (Kind.STREAM, [], "a stream body must be a JSON object"),
    (Kind.STREAM, {"name": "S"}, "stream field 'name' must match"),
    (
        Kind.STREAM,
        {"name": "s", "apiVersion": "reconciler/v1"},
        "stream field 'apiVersion' is not a known field",
    ),
    (
        Kind.STREAM,
        {"name": "s", "backpressure": "spill"},
        "stream field 'backpressure' must be one of block, drop, timeout",
    ),
    (Kind.STREAM, {"name": "s", "wal": "yes"}, "field 'wal' must be true or false"),
    (Kind.STREAM, {"name": "s", "metadata": []}, "field 'metadata' must be an object"),
    (
        Kind.CONNECTOR,
        {**FILE_SOURCE, "type": "both"},
        "connector field 'type' must be one of source, sink",
    ),
    (Kind.CONNECTOR, {**FILE_SOURCE, "class": "ftp"}, "connector field 'class' must be one of"),
    (Kind.CONNECTOR, {**FILE_SOURCE, "config": {}}, "connector config 'path' is required"),
    (
        Kind.CONNECTOR,
        {**FILE_SOURCE, "stream": "Bad Name"},
        "connector field 'stream' must be a component name",
    ),
    (
        Kind.CONNECTOR,
        {**HTTP_SOURCE, "config": {"endpoint": "ftp://x"}},
        "must be an http:// or https:// URL",
    ),
    (
        Kind.CONNECTOR,
        {**FILE_SOURCE, "class": "padas", "config": {"endpoint": "nohost"}},
        "must be host:port",
    ),
    (
        Kind.CONNECTOR,
        {
            **FILE_SOURCE,
            "class": "syslog",
            "config": {"address": "a", "port": 70000, "mode": "udp"},
        },
        "'port' must be an integer",
    ),
    (
        Kind.CONNECTOR,
        {
            **FILE_SOURCE,
            "type": "sink",
            "class": "syslog",
            "config": {"address": "a", "port": 1, "mode": "both"},
        },
        "'mode' must be one of udp, tcp",
    ),
    (
        Kind.CONNECTOR,
        {**FILE_SOURCE, "class": "kafka", "config": {"bootstrap_servers": "b", "topic": "t"}},
        "connector config 'group_id' is required",
    ),
    (
        Kind.CONNECTOR,
        {**FILE_SOURCE, "class": "object_storage", "config": {"bucket": "b"}},
        "must be sink for this class",
    ),
    (
        Kind.TASK,
        {**PROCESSING, "sink_streams": []},
        "task field 'sink_streams' must be a non-empty list",
    ),
    (Kind.TASK, {**PROCESSING, "sink_streams": ["b", "b"]}, "must not repeat a name"),
    (
        Kind.TASK,
        {**PROCESSING, "query_ids": ["q"]},
        "task field 'query_ids' belongs to detection tasks",
    ),
    (Kind.TASK, {**DETECTION, "query": "a = 1"}, "task field 'query' belongs to processing tasks"),
    (Kind.QUERY, {"name": "q"}, "query field 'pdl' must be a PDL string"),
]


@pytest.mark.parametrize(("kind", "body", "stored"), DEFAULTS)
def test_defaults_filled_in(kind: Kind, body: dict[str, Any], stored: dict[str, Any]) -> None:
    """The stored spec carries the defaults a real engine would add, and drops read-only fields."""
    assert normalize(kind, body) == stored


@pytest.mark.parametrize(("kind", "body", "message"), REFUSALS)
def test_refusal_names_the_field(kind: Kind, body: object, message: str) -> None:
    """A body that fails validation is a 422 invalid_body naming what is wrong."""
    with pytest.raises(ApiError) as caught:
        normalize(kind, body)
    assert (caught.value.status, caught.value.code) == (422, ErrorCode.INVALID_BODY)
    assert message in caught.value.message


def test_name_must_equal_the_path_id() -> None:
    """A PUT body whose name differs from the path's id is refused."""
    with pytest.raises(ApiError, match="must equal the id 'other'"):
        normalize(Kind.STREAM, {"name": "s"}, "other")


def test_name_filled_in_from_the_path() -> None:
    """A PUT body without a name takes the id from the path."""
    assert normalize(Kind.QUERY, {"pdl": "a = 1"}, "q")["name"] == "q"


def test_bad_pdl_is_invalid_pdl_with_position() -> None:
    """A task whose PDL does not parse is a 422 invalid_pdl naming the field and position."""
    with pytest.raises(ApiError) as caught:
        normalize(Kind.TASK, {**PROCESSING, "query": "status >= "})
    assert caught.value.code is ErrorCode.INVALID_PDL
    assert (
        caught.value.message
        == "field 'query': pdl error at position 11: expected a value after '>='"
    )


@pytest.mark.parametrize(
    ("endpoint", "parsed"),
    [
        ("127.0.0.1:9000", ("127.0.0.1", 9000)),
        ("[::1]:80", ("::1", 80)),
        ("host", None),
        (":80", None),
        ("h:99999", None),
    ],
)
def test_host_port(endpoint: str, parsed: tuple[str, int] | None) -> None:
    """Endpoints are host:port, IPv6 in brackets."""
    assert host_port(endpoint) == parsed
