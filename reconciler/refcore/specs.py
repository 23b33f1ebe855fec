"""Component bodies: the four kinds, their validation, and the defaults a Core fills in.

A body uses the YAML field names of SPEC §2 without `apiVersion`/`kind`. `normalize` checks one
body and returns the spec the Core stores, with omitted optional fields filled in (like a real
engine does, so clients must ignore fields they did not declare). The fields the Core itself adds
to responses (`id`, `state`, `error`, `created_at`, `updated_at`) are accepted and dropped, so a
body read back can be sent again. Any other unknown field is refused, naming it.

Pure module.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from reconciler.refcore.errors import ApiError, ErrorCode, invalid_body
from reconciler.refcore.pdl import PdlError, parse

Spec = dict[str, Any]
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
READ_ONLY = frozenset({"id", "state", "error", "created_at", "updated_at"})
CLASSES = ("file", "http", "kafka", "object_storage", "padas", "splunk", "syslog")
RUNNABLE_CLASSES = frozenset({"file", "http", "padas", "syslog"})


class Kind(StrEnum):
    """The collections of the protocol; the value is the path segment."""

    STREAM = "streams"
    CONNECTOR = "connectors"
    TASK = "tasks"
    QUERY = "queries"

    @property
    def singular(self) -> str:
        return "query" if self is Kind.QUERY else self.value[:-1]

    @property
    def runs(self) -> bool:
        """Whether components of this kind have a lifecycle (start, stop, restart)."""
        return self in (Kind.CONNECTOR, Kind.TASK)


_FIELDS = {
    Kind.STREAM: frozenset({"name", "wal", "retention", "backpressure", "metadata"}),
    Kind.CONNECTOR: frozenset({"name", "type", "class", "stream", "enabled", "config", "metadata"}),
    Kind.TASK: frozenset(
        {"name", "mode", "source_stream", "sink_streams", "query", "query_ids", "metadata"}
    ),
    Kind.QUERY: frozenset({"name", "pdl", "description", "metadata"}),
}


def normalize(kind: Kind, body: object, name: str | None = None) -> Spec:
    """The stored spec for `body`; `name` is the id from the path, when there is one."""
    if not isinstance(body, dict):
        raise invalid_body(f"a {kind.singular} body must be a JSON object")
    # a deep copy: defaults are filled into nested objects (config), never into the caller's body
    spec = {key: copy.deepcopy(value) for key, value in body.items() if key not in READ_ONLY}
    unknown = sorted(set(spec) - _FIELDS[kind])
    if unknown:
        raise invalid_body(f"{kind.singular} field '{unknown[0]}' is not a known field")
    _check_name(kind, spec, name)
    _optional(spec, "metadata", dict, "an object")
    _CHECKS[kind](spec)
    return spec


def _check_name(kind: Kind, spec: Spec, name: str | None) -> None:
    given = spec.setdefault("name", name)
    if not isinstance(given, str) or not NAME.match(given):
        raise invalid_body(
            f"{kind.singular} field 'name' must match {NAME.pattern} (lowercase letters, digits,"
            " '_', '.', '-')"
        )
    if name is not None and given != name:
        raise invalid_body(f"{kind.singular} field 'name' ({given!r}) must equal the id {name!r}")


def _check_stream(spec: Spec) -> None:
    _optional(spec, "wal", bool, "true or false")
    _optional(spec, "retention", str, "a string")
    _choice(spec, "backpressure", ("block", "drop", "timeout"), "stream")
    spec.setdefault("wal", False)
    spec.setdefault("backpressure", "block")


def _check_connector(spec: Spec) -> None:
    _choice(spec, "type", ("source", "sink"), "connector", required=True)
    _choice(spec, "class", CLASSES, "connector", required=True)
    _name_field(spec, "stream", "connector")
    _optional(spec, "enabled", bool, "true or false")
    spec.setdefault("enabled", True)
    config = spec.get("config")
    if not isinstance(config, dict):
        raise invalid_body("connector field 'config' must be an object")
    _CONFIG_CHECKS[spec["class"]](spec["type"], config)


def _check_task(spec: Spec) -> None:
    _choice(spec, "mode", ("processing", "detection"), "task", required=True)
    _name_field(spec, "source_stream", "task")
    _name_list(spec, "sink_streams", "task")
    if spec["mode"] == "processing":
        if "query_ids" in spec:
            raise invalid_body("task field 'query_ids' belongs to detection tasks; use 'query'")
        _pdl(spec, "query", "task")
    else:
        if "query" in spec:
            raise invalid_body("task field 'query' belongs to processing tasks; use 'query_ids'")
        _name_list(spec, "query_ids", "task")


def _check_query(spec: Spec) -> None:
    _optional(spec, "description", str, "a string")
    _pdl(spec, "pdl", "query")


_CHECKS: dict[Kind, Callable[[Spec], None]] = {
    Kind.STREAM: _check_stream,
    Kind.CONNECTOR: _check_connector,
    Kind.TASK: _check_task,
    Kind.QUERY: _check_query,
}


def _file_config(direction: str, config: dict[str, Any]) -> None:
    _config_text(config, "path")


def _http_config(direction: str, config: dict[str, Any]) -> None:
    endpoint = _config_text(config, "endpoint")
    if not re.match(r"^https?://", endpoint):
        raise invalid_body("connector config 'endpoint' must be an http:// or https:// URL")
    config.setdefault("method", "GET" if direction == "source" else "POST")
    if config["method"] not in ("GET", "POST", "PUT"):
        raise invalid_body("connector config 'method' must be GET, POST or PUT")
    if direction == "source":
        config.setdefault("interval_ms", 10000)
        _config_number(config, "interval_ms", integer=True)
    if "timeout_seconds" in config:
        _config_number(config, "timeout_seconds", integer=False)


def _padas_config(direction: str, config: dict[str, Any]) -> None:
    endpoint = _config_text(config, "endpoint")
    if host_port(endpoint) is None:
        raise invalid_body("connector config 'endpoint' must be host:port for a padas connector")


def _syslog_config(direction: str, config: dict[str, Any]) -> None:
    _config_text(config, "address")
    port = config.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise invalid_body("connector config 'port' must be an integer from 0 to 65535")
    modes = ("udp", "tcp", "both") if direction == "source" else ("udp", "tcp")
    if config.get("mode") not in modes:
        raise invalid_body(f"connector config 'mode' must be one of {', '.join(modes)}")


def _required_keys(
    *keys: str, source_keys: tuple[str, ...] = (), sink_only: bool = False
) -> Callable[[str, dict[str, Any]], None]:
    def check(direction: str, config: dict[str, Any]) -> None:
        if sink_only and direction != "sink":
            raise invalid_body("connector field 'type' must be sink for this class")
        needed = (*keys, *source_keys) if direction == "source" else keys
        for key in needed:
            if key not in config:
                raise invalid_body(f"connector config '{key}' is required")

    return check


_CONFIG_CHECKS: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "file": _file_config,
    "http": _http_config,
    "kafka": _required_keys("bootstrap_servers", "topic", source_keys=("group_id",)),
    "object_storage": _required_keys("bucket", sink_only=True),
    "padas": _padas_config,
    "splunk": _required_keys("endpoint", "token"),
    "syslog": _syslog_config,
}


def host_port(endpoint: str) -> tuple[str, int] | None:
    """`host:port` split, or None when it is not one (`[::1]:9000` allowed)."""
    host, separator, port = endpoint.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        return None
    return host.strip("[]"), int(port)


def pdl_error(field: str, error: PdlError) -> ApiError:
    return ApiError(422, ErrorCode.INVALID_PDL, f"field '{field}': {error}")


def _pdl(spec: Spec, key: str, what: str) -> None:
    text = spec.get(key)
    if not isinstance(text, str):
        raise invalid_body(f"{what} field '{key}' must be a PDL string")
    try:
        parse(text)
    except PdlError as error:
        raise pdl_error(key, error) from error


def _name_field(spec: Spec, key: str, what: str) -> None:
    value = spec.get(key)
    if not isinstance(value, str) or not NAME.match(value):
        raise invalid_body(f"{what} field '{key}' must be a component name")


def _name_list(spec: Spec, key: str, what: str) -> None:
    value = spec.get(key)
    if not isinstance(value, list) or not value:
        raise invalid_body(f"{what} field '{key}' must be a non-empty list of names")
    if not all(isinstance(item, str) and NAME.match(item) for item in value):
        raise invalid_body(f"{what} field '{key}' must hold only component names")
    if len(set(value)) != len(value):
        raise invalid_body(f"{what} field '{key}' must not repeat a name")


def _choice(
    spec: Spec, key: str, choices: tuple[str, ...], what: str, *, required: bool = False
) -> None:
    if key not in spec and not required:
        return
    if spec.get(key) not in choices:
        raise invalid_body(f"{what} field '{key}' must be one of {', '.join(choices)}")


def _optional(spec: Mapping[str, Any], key: str, kind: type, described: str) -> None:
    if key in spec and not isinstance(spec[key], kind):
        raise invalid_body(f"field '{key}' must be {described}")


def _config_text(config: dict[str, Any], key: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value:
        raise invalid_body(f"connector config '{key}' is required and must be a non-empty string")
    return value


def _config_number(config: dict[str, Any], key: str, *, integer: bool) -> None:
    value = config.get(key)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise invalid_body(f"connector config '{key}' must be a positive number")
