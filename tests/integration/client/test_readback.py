"""Reading back a real reference Core: specs, runtime states, version, and failure as a value."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Observation, Reason, Runtime
from reconciler.shell.core.client import CoreClient
from tests.integration.client.conftest import FAST, core_of, environ_of
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio

MANAGED = {"managed-by": "reconciler", "pipelines": ["web"], "revision": "abc123"}
COMPONENTS: list[tuple[str, dict[str, Any]]] = [
    ("streams", {"name": "raw"}),
    ("streams", {"name": "alerts", "backpressure": "drop", "metadata": MANAGED}),
    ("queries", {"name": "ssh", "pdl": 'app = "sshd"'}),
    (
        "connectors",
        {"name": "web-in", "type": "source", "class": "file", "stream": "raw",
         "config": {"path": "in.log"}, "metadata": MANAGED},
    ),
    (
        "connectors",
        {"name": "bus-in", "type": "source", "class": "kafka", "stream": "raw",
         "config": {"bootstrap_servers": "k:9092", "topic": "t", "group_id": "g"}},
    ),
    (
        "tasks",
        {"name": "detect", "mode": "detection", "source_stream": "raw",
         "sink_streams": ["alerts"], "query_ids": ["ssh"]},
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def populated(module_core_factory: CoreFactory) -> CoreProcess:
    """A Core holding every kind: web-in and detect running, bus-in failed (kafka cannot run)."""
    process = module_core_factory("edge-1", admin=False)
    with process.client() as client:
        for kind, body in COMPONENTS:
            client.put(f"{kind}/{body['name']}", json=body).raise_for_status()
        for path in ("connectors/web-in", "tasks/detect", "connectors/bus-in"):
            client.post(f"{path}/start").raise_for_status()
    return process


async def read(process: CoreProcess, previous: Observation | None = None) -> Observation:
    async with CoreClient(core_of(process), environ_of(process), FAST) as client:
        return await client.readback(previous)


async def test_readback_lists_every_component_of_every_kind(populated: CoreProcess) -> None:
    """Every component the Core holds comes back, keyed by kind and name."""
    observation = await read(populated)
    assert observation.reachable
    assert sorted(observation.components) == sorted(
        (ComponentKind(kind), body["name"]) for kind, body in COMPONENTS
    )


async def test_readback_reports_the_version_from_health(populated: CoreProcess) -> None:
    """The version is the one health reports, and the timestamps say when the Core was seen."""
    observation = await read(populated)
    assert observation.version is not None
    assert observation.version.startswith("refcore-")
    assert observation.last_seen is not None
    assert observation.attempted_at <= observation.last_seen
    assert observation.reason is None
    assert observation.duration_ms > 0


async def test_readback_keeps_the_spec_and_the_fields_the_core_added(
    populated: CoreProcess,
) -> None:
    """The body holds the declared fields plus the Core's defaults and timestamps, not its id."""
    body = (await read(populated)).components[(ComponentKind.STREAM, "raw")].body
    assert body["name"] == "raw"
    assert body["backpressure"] == "block"  # a default the Core filled in
    assert {"created_at", "updated_at"} <= set(body)
    assert not {"id", "state", "error", "metadata"} & set(body)


async def test_readback_moves_metadata_into_its_own_field(populated: CoreProcess) -> None:
    """`metadata` is lifted out of the body, so `managed` can be read off the component."""
    components = (await read(populated)).components
    managed = components[(ComponentKind.CONNECTOR, "web-in")]
    assert managed.metadata == MANAGED
    assert managed.managed
    assert not components[(ComponentKind.CONNECTOR, "bus-in")].managed


async def test_readback_reports_runtime_states_and_errors(populated: CoreProcess) -> None:
    """Connectors and tasks carry their state and error; streams and queries carry none."""
    components = (await read(populated)).components
    states = {key: (c.state, c.error) for key, c in components.items()}
    assert states[(ComponentKind.CONNECTOR, "web-in")] == (Runtime.RUNNING, None)
    assert states[(ComponentKind.TASK, "detect")] == (Runtime.RUNNING, None)
    assert states[(ComponentKind.STREAM, "raw")] == (None, None)
    assert states[(ComponentKind.QUERY, "ssh")] == (None, None)
    failed_state, failed_error = states[(ComponentKind.CONNECTOR, "bus-in")]
    assert failed_state is Runtime.FAILED
    assert failed_error is not None
    assert "kafka" in failed_error


async def test_failed_readback_keeps_what_was_last_seen(core_factory: CoreFactory) -> None:
    """A Core that stops answering keeps its last components and version, flagged unreachable."""
    process = core_factory("edge-2", admin=False)
    with process.client() as client:
        client.put("streams/raw", json={"name": "raw"}).raise_for_status()
    seen = await read(process)
    process.kill()
    observation = await read(process, previous=seen)
    assert (observation.reachable, observation.reason) == (False, Reason.UNREACHABLE)
    assert observation.components == seen.components
    assert (observation.version, observation.last_seen) == (seen.version, seen.last_seen)
    assert observation.attempted_at > seen.attempted_at
    assert observation.message is not None
    assert observation.message.startswith("core edge-2 could not be reached")


async def test_failed_first_readback_has_nothing_to_keep(core_factory: CoreFactory) -> None:
    """Without a previous observation a failed readback is empty and was never seen."""
    process = core_factory("edge-3", admin=False)
    process.kill()
    observation = await read(process)
    assert (observation.reachable, observation.seen, observation.components) == (False, False, {})
    assert observation.reason is Reason.UNREACHABLE


async def test_readback_of_another_cores_observation_is_refused(populated: CoreProcess) -> None:
    """Passing another Core's observation is a programming error, caught before any request."""
    other = Observation(
        core="elsewhere", reachable=True, attempted_at=(await read(populated)).attempted_at
    )
    with pytest.raises(ValueError, match="elsewhere"):
        await read(populated, previous=other)


async def test_an_answer_over_the_size_cap_is_a_bad_response(populated: CoreProcess) -> None:
    """The client reads no more than `max_response_bytes` of an answer; more is BAD_RESPONSE."""
    tight = replace(FAST, max_response_bytes=300)
    async with CoreClient(core_of(populated), environ_of(populated), tight) as client:
        observation = await client.readback()
    assert (observation.reachable, observation.reason) == (False, Reason.BAD_RESPONSE)
    assert observation.message is not None
    assert "with more than 300 bytes" in observation.message


async def test_an_unchanged_listing_reuses_what_it_was_parsed_into(
    core_factory: CoreFactory,
) -> None:
    """A client reading back a Core whose listings are the same bytes answers the same objects:
    the whole mapping when nothing changed, each untouched kind's components when one did."""
    process = core_factory("edge-3", admin=False)
    with process.client() as client:
        client.put("streams/raw", json={"name": "raw"}).raise_for_status()
        client.put("queries/ssh", json={"name": "ssh", "pdl": 'app = "sshd"'}).raise_for_status()
    async with CoreClient(core_of(process), environ_of(process), FAST) as reader:
        first = await reader.readback()
        second = await reader.readback(first)
        assert second.components is first.components
        with process.client() as client:
            client.put("streams/raw", json={"name": "raw", "backpressure": "drop"})
        third = await reader.readback(second)

    assert third.components is not first.components
    stream, query = (ComponentKind.STREAM, "raw"), (ComponentKind.QUERY, "ssh")
    assert third.components[stream].body["backpressure"] == "drop"
    assert third.components[query] is first.components[query]
