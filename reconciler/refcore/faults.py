"""Fault injection for tests, kept off the public protocol: rules and the middleware applying them.

A rule applies to public requests (`/api/...`) whose path starts with `path_prefix` and, when
`methods` is not empty, whose method is listed. Its effects, in this order:

- `latency_ms`: the request waits that long before it is handled;
- `refuse_deploys`: POST/PUT/DELETE on a collection or component answer 422 `deploy_refused`;
- `error_rate`: that share of requests answer 500 `internal` without being handled;
- `reset_rate`: that share of requests are handled, then the connection is closed half-way
  through the response body (the client sees a broken response, the change took effect).

Rates draw from a random generator per rule, seeded with `seed` when given, so a test can rely on
the exact sequence. Rules are set and cleared through the admin routes (`admin.py`).

I/O module (the clock, randomness).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.refcore.errors import ApiError, ErrorCode, invalid_body

_DEPLOY_PATH = re.compile(r"^/api/v1/(streams|connectors|tasks|queries)(/[^/]+)?/?$")
_DEPLOY_METHODS = frozenset({"POST", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class FaultRule:
    path_prefix: str = "/api/v1"
    methods: tuple[str, ...] = ()
    latency_ms: int = 0
    error_rate: float = 0.0
    reset_rate: float = 0.0
    refuse_deploys: bool = False
    seed: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (not self.methods or method in self.methods)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "methods": list(self.methods)}


def parse_rule(body: object) -> FaultRule:
    """One rule from its JSON form; raises ApiError naming the bad field."""
    if not isinstance(body, dict):
        raise invalid_body("a fault rule must be a JSON object")
    unknown = sorted(set(body) - set(FaultRule.__dataclass_fields__))
    if unknown:
        raise invalid_body(f"fault rule field '{unknown[0]}' is not a known field")
    methods = body.get("methods", [])
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise invalid_body("fault rule field 'methods' must be a list of HTTP methods")
    rule = FaultRule(**{**body, "methods": tuple(method.upper() for method in methods)})
    _check_rule(rule)
    return rule


def _check_rule(rule: FaultRule) -> None:
    if not isinstance(rule.path_prefix, str) or not rule.path_prefix.startswith("/"):
        raise invalid_body("fault rule field 'path_prefix' must be a path starting with '/'")
    if not isinstance(rule.latency_ms, int) or rule.latency_ms < 0:
        raise invalid_body("fault rule field 'latency_ms' must be a non-negative integer")
    for name in ("error_rate", "reset_rate"):
        rate = getattr(rule, name)
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise invalid_body(f"fault rule field '{name}' must be a number from 0 to 1")
    if not isinstance(rule.refuse_deploys, bool):
        raise invalid_body("fault rule field 'refuse_deploys' must be true or false")
    if rule.seed is not None and not isinstance(rule.seed, int):
        raise invalid_body("fault rule field 'seed' must be an integer")


class Faults:
    """The rules in force, each with its own random generator."""

    def __init__(self) -> None:
        self._rules: list[tuple[FaultRule, random.Random]] = []

    def replace(self, rules: list[FaultRule]) -> None:
        # not for security: a seeded, reproducible sequence is the point
        self._rules = [(rule, random.Random(rule.seed)) for rule in rules]  # noqa: S311

    def describe(self) -> list[dict[str, Any]]:
        return [rule.as_dict() for rule, _ in self._rules]

    def matching(self, method: str, path: str) -> list[tuple[FaultRule, random.Random]]:
        return [(rule, draw) for rule, draw in self._rules if rule.matches(method, path)]


class FaultMiddleware:
    """Applies the rules in force to public requests; admin requests are never faulted."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        reset = False
        for rule, draw in self.faults.matching(method, path):
            if rule.latency_ms:
                await asyncio.sleep(rule.latency_ms / 1000)
            refusal = _refusal(rule, draw, method, path)
            if refusal is not None:
                response = JSONResponse(refusal.body(), refusal.status)
                await response(scope, receive, send)
                return
            reset = reset or (rule.reset_rate > 0 and draw.random() < rule.reset_rate)
        await self.app(scope, receive, _cut_half_way(send) if reset else send)


def _refusal(rule: FaultRule, draw: random.Random, method: str, path: str) -> ApiError | None:
    if rule.refuse_deploys and method in _DEPLOY_METHODS and _DEPLOY_PATH.match(path):
        return ApiError(
            422, ErrorCode.DEPLOY_REFUSED, f"the core refuses deploys right now ({method} {path})"
        )
    if rule.error_rate > 0 and draw.random() < rule.error_rate:
        return ApiError(500, ErrorCode.INTERNAL, "the core failed to handle the request")
    return None


def _cut_half_way(send: Send) -> Send:
    """A `send` that forwards the response head and half the body, then nothing more.

    The app returning with the response incomplete makes the server close the connection.
    """
    state: dict[str, bool] = {"cut": False}

    async def cutting(message: Mapping[str, Any]) -> None:
        if state["cut"]:
            return
        if message["type"] == "http.response.body":
            body: bytes = message.get("body", b"")
            state["cut"] = True
            half: Message = {
                "type": message["type"],
                "body": body[: len(body) // 2],
                "more_body": True,
            }
            await send(half)
            return
        await send(dict(message))

    return cutting
