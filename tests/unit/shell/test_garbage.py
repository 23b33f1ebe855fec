"""Answers the reference Core cannot give (it speaks the protocol well): HTML, non-JSON, wrong
shapes, bodies without end. Each is a BAD_RESPONSE, never a crash and never retried.

This is the one place a fake stands in for a Core: `httpx.MockTransport` at the client's
transport boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from reconciler.decide.model import ComponentKind, Core, Origin, SecretRef
from reconciler.decide.observed import Reason
from reconciler.errors import CoreCallError
from reconciler.shell.core.client import CoreClient
from reconciler.shell.core.policy import ClientSettings, RetryPolicy

pytestmark = pytest.mark.anyio
TOKEN = "t0k3n-for-garbage-tests"  # noqa: S105 (a test token)
CORE = Core("odd", "http://odd.invalid:8999", SecretRef(env="T"), Origin("cores/odd.yaml", 1))
SETTINGS = ClientSettings(
    retry=RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0), max_response_bytes=1000
)
HEALTH = {"status": "ok", "name": "odd", "version": "9"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def answering(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[CoreClient, list[str]]:
    """A client whose Core answers health properly and everything else with `answer`."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/api/v1/health":
            return httpx.Response(200, json=HEALTH)
        return answer(request)

    client = CoreClient(CORE, {"T": TOKEN}, SETTINGS, transport=httpx.MockTransport(handle))
    return client, seen


def endless(request: httpx.Request) -> httpx.Response:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"[" * 100

    return httpx.Response(200, content=chunks())


GARBAGE: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "html": lambda r: httpx.Response(200, html="<html><body>proxy login</body></html>"),
    "empty": lambda r: httpx.Response(200),
    "truncated-json": lambda r: httpx.Response(200, content=b'[{"id": "a"'),
    "object-not-array": lambda r: httpx.Response(200, json={"items": []}),
    "entry-not-object": lambda r: httpx.Response(200, json=["a", "b"]),
    "entry-without-id": lambda r: httpx.Response(200, json=[{"wal": True}]),
    "state-not-string": lambda r: httpx.Response(200, json=[{"id": "a", "state": 3}]),
    "metadata-not-object": lambda r: httpx.Response(200, json=[{"id": "a", "metadata": []}]),
    "duplicate-ids": lambda r: httpx.Response(200, json=[{"id": "a"}, {"id": "a"}]),
    "deep-nesting": lambda r: httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
    "declared-huge": lambda r: httpx.Response(200, headers={"Content-Length": "10000000"}),
    "endless-body": endless,
    "redirect": lambda r: httpx.Response(302, headers={"Location": "http://elsewhere/"}),
    "bad-gzip": lambda r: httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all"
    ),
}


@pytest.mark.parametrize("answer", GARBAGE.values(), ids=GARBAGE.keys())
async def test_garbage_is_a_bad_response_and_never_retried(
    answer: Callable[[httpx.Request], httpx.Response],
) -> None:
    """A readback of garbage is an unreachable observation with BAD_RESPONSE, after one try."""
    client, seen = answering(answer)
    async with client:
        observation = await client.readback()
    assert (observation.reachable, observation.reason) == (False, Reason.BAD_RESPONSE)
    assert observation.message is not None
    assert observation.message.startswith("core odd ")
    assert seen.count("/api/v1/streams") == 1


@pytest.mark.parametrize(
    "document",
    [{"status": "down"}, ["ok"], {"status": "ok", "version": 2}],
    ids=["not-ok", "array", "numeric-version"],
)
async def test_a_health_answer_of_the_wrong_shape_is_a_bad_response(document: Any) -> None:
    """Health must say ok and carry a string version (or none)."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=document)

    client = CoreClient(CORE, {"T": TOKEN}, SETTINGS, transport=httpx.MockTransport(handle))
    async with client:
        observation = await client.readback()
    assert observation.reason is Reason.BAD_RESPONSE


async def test_an_answer_about_another_component_is_a_bad_response() -> None:
    """A put answered with some other component's body is not taken for the one sent."""
    client, _ = answering(lambda r: httpx.Response(200, json={"id": "other", "name": "other"}))
    async with client:
        with pytest.raises(CoreCallError) as raised:
            await client.put(ComponentKind.STREAM, "mine", {})
    assert raised.value.reason is Reason.BAD_RESPONSE
    assert "'other'" in raised.value.message


async def test_a_core_echoing_the_token_does_not_get_it_into_messages() -> None:
    """Whatever a Core says goes into messages with the token blotted out."""

    def echo(request: httpx.Request) -> httpx.Response:
        said = request.headers["Authorization"]
        return httpx.Response(422, json={"code": "invalid_body", "message": f"you sent {said}"})

    client, _ = answering(echo)
    async with client:
        with pytest.raises(CoreCallError) as raised:
            await client.put(ComponentKind.STREAM, "mine", {})
    assert TOKEN not in str(raised.value)
    assert "you sent Bearer ***" in raised.value.message


async def test_an_unknown_state_string_is_unknown_not_garbage() -> None:
    """A state this client does not know (a newer Core's) reads as UNKNOWN."""
    entry = {"id": "a", "state": "paused", "name": "a"}
    client, _ = answering(
        lambda r: httpx.Response(200, json=[entry] if r.url.path.endswith("tasks") else [])
    )
    async with client:
        observation = await client.readback()
    assert observation.components[(ComponentKind.TASK, "a")].state == "unknown"


def test_settings_bound_what_one_answer_may_cost() -> None:
    """The cap on answer size is a setting, so it can be raised for very large registries."""
    assert replace(SETTINGS, max_response_bytes=10).max_response_bytes == 10
