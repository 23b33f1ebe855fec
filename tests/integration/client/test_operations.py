"""Changing a real reference Core through the client: put, get, delete, actions, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import Reason, Runtime
from reconciler.errors import CoreCallError
from reconciler.shell.core.client import CoreClient
from tests.integration.client.conftest import FAST, core_of, environ_of
from tests.support.access import AccessLog
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio

STREAM, CONNECTOR, TASK, QUERY = (
    ComponentKind.STREAM,
    ComponentKind.CONNECTOR,
    ComponentKind.TASK,
    ComponentKind.QUERY,
)


def file_source(stream: str = "raw", **extra: Any) -> dict[str, Any]:
    return {
        "type": "source",
        "class": "file",
        "stream": stream,
        "config": {"path": "in.log"},
        **extra,
    }


@pytest.fixture(scope="module")
def process(module_core_factory: CoreFactory) -> CoreProcess:
    return module_core_factory("ops", admin=False)


@pytest.fixture
async def client(process: CoreProcess) -> AsyncIterator[CoreClient]:
    async with CoreClient(core_of(process), environ_of(process), FAST) as client:
        yield client


async def test_put_creates_a_component_and_answers_it(client: CoreClient) -> None:
    """PUT of a new name creates it; the answer is the stored component with the Core's fields."""
    created = await client.put(STREAM, "put-new", {"wal": True})
    assert (created.kind, created.name) == (STREAM, "put-new")
    assert created.body["wal"] is True
    assert created.body["name"] == "put-new"
    assert "created_at" in created.body


async def test_put_replaces_an_existing_component(client: CoreClient) -> None:
    """PUT of an existing name replaces its whole spec."""
    await client.put(STREAM, "put-again", {"backpressure": "drop"})
    replaced = await client.put(STREAM, "put-again", {"backpressure": "timeout"})
    fetched = await client.get(STREAM, "put-again")
    assert fetched is not None
    assert replaced.body["backpressure"] == fetched.body["backpressure"] == "timeout"


async def test_put_sends_metadata_and_answers_it_apart(client: CoreClient) -> None:
    """Metadata goes out with the body and comes back in its own field."""
    metadata = {"managed-by": "reconciler", "revision": "r1"}
    answered = await client.put(QUERY, "meta-q", {"pdl": "a = 1", "metadata": metadata})
    assert answered.metadata == metadata
    assert "metadata" not in answered.body


async def test_get_of_a_missing_component_is_none(client: CoreClient) -> None:
    """A 404 on get means the Core does not hold it: None, not an error."""
    assert await client.get(TASK, "never-made") is None


async def test_delete_removes_the_component(client: CoreClient) -> None:
    """After delete the Core no longer holds it."""
    await client.put(STREAM, "doomed", {})
    await client.delete(STREAM, "doomed")
    assert await client.get(STREAM, "doomed") is None


async def test_delete_of_a_missing_component_counts_as_done(
    client: CoreClient, process: CoreProcess
) -> None:
    """A 404 on delete is success: the component is gone either way, and nothing is retried."""
    log = AccessLog(process)
    await client.delete(CONNECTOR, "never-made")
    assert log.count("DELETE", "connectors/never-made", 404) == 1


async def test_actions_start_stop_and_restart_a_connector(client: CoreClient) -> None:
    """Each action answers the component in its new state."""
    await client.put(STREAM, "act-raw", {})
    await client.put(CONNECTOR, "act-in", file_source("act-raw"))
    started = await client.act(CONNECTOR, "act-in", ActionVerb.START)
    restarted = await client.act(CONNECTOR, "act-in", ActionVerb.RESTART)
    stopped = await client.act(CONNECTOR, "act-in", ActionVerb.STOP)
    assert [started.state, restarted.state, stopped.state] == [
        Runtime.RUNNING,
        Runtime.RUNNING,
        Runtime.STOPPED,
    ]


async def test_an_action_on_a_stream_is_refused_before_sending(
    client: CoreClient, process: CoreProcess
) -> None:
    """Streams and queries have no lifecycle; asking is a programming error and sends nothing."""
    log = AccessLog(process)
    with pytest.raises(ValueError, match="no lifecycle"):
        await client.act(STREAM, "act-raw", ActionVerb.START)
    assert log.lines() == []


async def test_a_body_naming_another_component_is_refused_before_sending(
    client: CoreClient,
) -> None:
    """The name in the path is the id; a body that disagrees is a programming error."""
    with pytest.raises(ValueError, match="differs"):
        await client.put(STREAM, "one", {"name": "two"})


@dataclass(frozen=True)
class Refusal:
    """A call the Core refuses, after `setup` is in place, and how the client must report it."""

    setup: list[tuple[ComponentKind, str, dict[str, Any]]]
    verb: str
    kind: ComponentKind
    name: str
    reason: Reason
    status: int
    code: str
    body: dict[str, Any] = field(default_factory=dict)


REFUSALS = [
    Refusal([(STREAM, "c-raw", {}), (CONNECTOR, "c-in", file_source("c-raw"))],
            "delete", STREAM, "c-raw", Reason.CONFLICT, 409, "in_use"),
    Refusal([(STREAM, "d-raw", {}), (CONNECTOR, "d-in", file_source("d-raw", enabled=False))],
            "start", CONNECTOR, "d-in", Reason.CONFLICT, 409, "disabled"),
    Refusal([], "put", STREAM, "bad-field", Reason.REJECTED, 422, "invalid_body",
            {"colour": "red"}),
    Refusal([], "put", TASK, "bad-pdl", Reason.REJECTED, 422, "invalid_pdl",
            {"mode": "processing", "source_stream": "x", "sink_streams": ["y"], "query": "a = ="}),
    Refusal([], "put", CONNECTOR, "dangling", Reason.REJECTED, 422, "unknown_reference",
            file_source("no-such-stream")),
    Refusal([], "start", TASK, "never-made", Reason.NOT_FOUND, 404, "not_found"),
]  # fmt: skip


async def send(client: CoreClient, case: Refusal) -> None:
    if case.verb == "put":
        await client.put(case.kind, case.name, case.body)
    elif case.verb == "delete":
        await client.delete(case.kind, case.name)
    else:
        await client.act(case.kind, case.name, ActionVerb(case.verb))


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: f"{case.status}-{case.code}")
async def test_refusals_map_to_reasons_and_are_not_retried(
    client: CoreClient, process: CoreProcess, case: Refusal
) -> None:
    """A 4xx is permanent: one request, the reason and status, the Core's code in the message."""
    for kind, name, body in case.setup:
        await client.put(kind, name, body)
    log = AccessLog(process)
    with pytest.raises(CoreCallError) as raised:
        await send(client, case)
    error = raised.value
    assert (error.reason, error.status, error.transient) == (case.reason, case.status, False)
    what = f"{case.verb} {case.kind.value}/{case.name}"
    assert error.message.startswith(f"core ops answered {what} with {case.status} ({case.code}: ")
    assert len(log.lines()) == 1
