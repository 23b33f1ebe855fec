"""The Core protocol as data, and its JSON answers turned into values at once (SPEC §6).

Every path, method, field name and status mapping the client relies on lives here, so that a Core
whose protocol differs (the real PADAS API is not fully public) means editing one table, not
hunting literals. Raw JSON never leaves this module: answers become `ObservedComponent`s, a
version string or an `ErrorBody`; an answer of the wrong shape raises `BadResponse`.

Pure module (no I/O); the client in `client` does the talking.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote

from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import ObservedComponent, Reason, Runtime

PREFIX: Final = "/api/v1"
HEALTH_PATH: Final = f"{PREFIX}/health"

READBACK_KINDS: Final = (
    ComponentKind.STREAM,
    ComponentKind.QUERY,
    ComponentKind.CONNECTOR,
    ComponentKind.TASK,
)
"""The collections one readback lists, all of them."""

LIFECYCLE_KINDS: Final = frozenset({ComponentKind.CONNECTOR, ComponentKind.TASK})
"""The kinds that run, and so carry `state`/`error` and take start/stop/restart."""

ID_FIELD: Final = "id"
NAME_FIELD: Final = "name"
STATE_FIELD: Final = "state"
ERROR_FIELD: Final = "error"
METADATA_FIELD: Final = "metadata"
CORE_FIELDS: Final = frozenset({ID_FIELD, STATE_FIELD, ERROR_FIELD, METADATA_FIELD})
"""Response fields that are not part of a component's spec; each has its own place in the value.

Other fields the Core adds (defaults, `created_at`, `updated_at`) stay in the body: projecting
them away is the engine's job, which knows what was declared.
"""

RUNTIMES: Final[Mapping[str, Runtime]] = {
    "stopped": Runtime.STOPPED,
    "starting": Runtime.STARTING,
    "running": Runtime.RUNNING,
    "stopping": Runtime.STOPPING,
    "failed": Runtime.FAILED,
}
"""The protocol's state strings; any other string is `Runtime.UNKNOWN` (a newer Core's state)."""

STATUS_REASONS: Final[Mapping[int, Reason]] = {
    400: Reason.REJECTED,
    401: Reason.UNAUTHORIZED,
    403: Reason.UNAUTHORIZED,
    404: Reason.NOT_FOUND,
    409: Reason.CONFLICT,
    413: Reason.REJECTED,
    422: Reason.REJECTED,
    429: Reason.LOCKED_OUT,
}
"""Error statuses with a reason of their own; other 4xx are `REJECTED`, 5xx `SERVER_ERROR`."""

RETRIED_REASONS: Final = frozenset({Reason.UNREACHABLE, Reason.TIMEOUT, Reason.SERVER_ERROR})
"""Failures the client retries at once, with backoff: the request may not have been handled."""


MESSAGE_LIMIT: Final = 300
"""Characters of a Core's own error message kept in ours; a Core's text is not ours to trust."""


class BadResponse(Exception):
    """An answer that is not what the protocol says; the message says what was wrong with it."""


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What a Core said about a failed request: its stable code and sentence, when it sent them."""

    code: str | None = None
    message: str | None = None

    def __str__(self) -> str:
        parts = [part for part in (self.code, self.message) if part]
        return ": ".join(parts) if parts else "no details"


def collection_path(kind: ComponentKind) -> str:
    return f"{PREFIX}/{kind.value}"


def component_path(kind: ComponentKind, name: str) -> str:
    return f"{collection_path(kind)}/{quote(name, safe='')}"


def action_path(kind: ComponentKind, name: str, verb: ActionVerb) -> str:
    if kind not in LIFECYCLE_KINDS:
        raise ValueError(f"{kind.value} have no lifecycle; only connectors and tasks take {verb}")
    return f"{component_path(kind, name)}/{verb.value}"


def reason_for_status(status: int) -> Reason:
    """The reason code for an HTTP status the client did not expect."""
    if status in STATUS_REASONS:
        return STATUS_REASONS[status]
    if 500 <= status <= 599:
        return Reason.SERVER_ERROR
    if 400 <= status <= 499:
        return Reason.REJECTED
    return Reason.BAD_RESPONSE


def is_retried(reason: Reason) -> bool:
    return reason in RETRIED_REASONS


def encode_body(name: str, body: Mapping[str, Any]) -> bytes:
    """The JSON request body for a component; the name is the id in the path, so it must match."""
    given = body.get(NAME_FIELD, name)
    if given != name:
        raise ValueError(f"the body's name {given!r} differs from the component name {name!r}")
    document = {**body, NAME_FIELD: name}
    return json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")


def decode_json(content: bytes) -> object:
    """Strict JSON: `NaN` and `Infinity`, which Python would accept, are no JSON and refused."""
    try:
        return json.loads(content, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BadResponse(f"the answer is not JSON ({_preview(content)})") from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_health(document: object) -> str | None:
    """The Core's version from a health answer (None when it does not say)."""
    health = _object(document, "the health answer")
    if health.get("status") != "ok":
        raise BadResponse(f"the health answer has status {_short(health.get('status'))}, not ok")
    version = health.get("version")
    if version is not None and not isinstance(version, str):
        raise BadResponse("the health answer's 'version' is not a string")
    return version


def parse_collection(kind: ComponentKind, document: object) -> list[ObservedComponent]:
    """Every component of a collection answer (a JSON array of component objects)."""
    if not isinstance(document, list):
        raise BadResponse(f"the {kind.value} list is {_type_name(document)}, not an array")
    components = [parse_component(kind, item) for item in document]
    names = [component.name for component in components]
    if len(set(names)) != len(names):
        raise BadResponse(f"the {kind.value} list names the same id twice")
    return components


def parse_component(kind: ComponentKind, document: object) -> ObservedComponent:
    """One component answer: spec fields into `body`, the Core's own fields into theirs."""
    raw = _object(document, f"a {kind.value} entry")
    name = raw.get(ID_FIELD, raw.get(NAME_FIELD))
    if not isinstance(name, str) or not name:
        raise BadResponse(f"a {kind.value} entry has no string '{ID_FIELD}'")
    body = {key: value for key, value in raw.items() if key not in CORE_FIELDS}
    return ObservedComponent(
        kind=kind,
        name=name,
        body=body,
        state=_state(kind, name, raw),
        error=_error(kind, name, raw),
        metadata=_metadata(kind, name, raw),
    )


def parse_error(content: bytes) -> ErrorBody:
    """The `{code, message}` of an error answer, or whatever of it can be read; never raises."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return ErrorBody(message=_preview(content) if content.strip() else None)
    if not isinstance(document, dict):
        return ErrorBody()
    code, message = document.get("code"), document.get("message")
    return ErrorBody(
        code=_clip(code) if isinstance(code, str) else None,
        message=_clip(message) if isinstance(message, str) else None,
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from `now` that a `Retry-After` header asks for (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def _state(kind: ComponentKind, name: str, raw: Mapping[str, Any]) -> Runtime | None:
    value = raw.get(STATE_FIELD)
    if kind not in LIFECYCLE_KINDS and value is None:
        return None
    if value is None:
        return Runtime.UNKNOWN
    if not isinstance(value, str):
        raise BadResponse(f"{kind.value} {name!r} has a '{STATE_FIELD}' that is not a string")
    return RUNTIMES.get(value, Runtime.UNKNOWN)


def _error(kind: ComponentKind, name: str, raw: Mapping[str, Any]) -> str | None:
    value = raw.get(ERROR_FIELD)
    if value is None or isinstance(value, str):
        return value
    raise BadResponse(f"{kind.value} {name!r} has an '{ERROR_FIELD}' that is not a string")


def _metadata(kind: ComponentKind, name: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    value = raw.get(METADATA_FIELD)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadResponse(f"{kind.value} {name!r} has a '{METADATA_FIELD}' that is not an object")
    return value


def _object(document: object, what: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise BadResponse(f"{what} is {_type_name(document)}, not an object")
    return document


def _type_name(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "unexpected")


def _short(value: object) -> str:
    return repr(value)[:40]


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MESSAGE_LIMIT else flat[: MESSAGE_LIMIT - 1] + "…"


def _preview(content: bytes) -> str:
    """The first few characters of an answer, for a message: enough to recognise an HTML page."""
    head = content[:60].decode("utf-8", errors="replace")
    return f"starts with {' '.join(head.split())[:40]!r}"
