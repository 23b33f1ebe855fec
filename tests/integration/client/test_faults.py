"""Each fault the reference Core can inject, seen by the client as the right outcome.

Rules go in through the Core's admin routes; requests are counted from the Core's access log.
Rates are seeded, so "fails once, then succeeds" is an exact sequence: seed 1 draws 0.13 first
(below 0.5: the fault hits) and 0.85 second (it does not).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Reason
from reconciler.errors import CoreCallError
from reconciler.shell.core.client import CoreClient
from reconciler.shell.core.policy import ClientSettings, Timeouts
from tests.integration.client.conftest import FAST, core_of, environ_of
from tests.support.access import AccessLog, set_faults
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio
STREAM = ComponentKind.STREAM
ONCE = {"seed": 1}
ONCE_RATE = 0.5


def test_the_seed_hits_once_then_misses() -> None:
    """The premise of the "once" cases: seed 1 draws below 0.5, then above it."""
    draw = random.Random(ONCE["seed"])  # noqa: S311 (the Core's own generator; nothing secret)
    assert draw.random() < ONCE_RATE <= draw.random()


@pytest.fixture(scope="module")
def module_process(module_core_factory: CoreFactory) -> CoreProcess:
    process = module_core_factory("faulty")
    with process.client() as client:
        client.put("streams/present", json={"name": "present"}).raise_for_status()
    return process


@pytest.fixture
def process(module_process: CoreProcess) -> Iterator[CoreProcess]:
    """The module's Core, with its fault rules cleared after each test."""
    yield module_process
    set_faults(module_process)


def client_for(process: CoreProcess, settings: ClientSettings = FAST) -> CoreClient:
    return CoreClient(core_of(process), environ_of(process), settings)


@pytest.fixture
async def client(process: CoreProcess) -> AsyncIterator[CoreClient]:
    async with client_for(process) as client:
        yield client


async def test_latency_beyond_the_read_timeout_is_a_retried_timeout(process: CoreProcess) -> None:
    """A Core slower than the read timeout times out on every try, then fails as TIMEOUT."""
    set_faults(process, {"path_prefix": "/api/v1/streams", "latency_ms": 2000})
    quick = replace(FAST, timeouts=Timeouts(connect=2.0, read=0.2, operation=10.0))
    async with client_for(process, quick) as client:
        with pytest.raises(CoreCallError) as raised:
            await client.get(STREAM, "present")
    error = raised.value
    assert (error.reason, error.status, error.transient) == (Reason.TIMEOUT, None, True)
    assert (
        error.message
        == "core faulty did not answer in time for get streams/present (after 3 tries)"
    )


async def test_latency_beyond_the_operation_timeout_ends_the_operation(
    process: CoreProcess,
) -> None:
    """However patient each read, an operation never outlives the operation timeout."""
    set_faults(process, {"path_prefix": "/api/v1/streams", "latency_ms": 3000})
    bounded = replace(FAST, timeouts=Timeouts(connect=2.0, read=5.0, operation=0.5))
    async with client_for(process, bounded) as client:
        with pytest.raises(CoreCallError) as raised:
            await client.get(STREAM, "present")
    assert raised.value.reason is Reason.TIMEOUT
    assert raised.value.message == "core faulty did not finish get streams/present within 0.5 s"


async def test_a_slow_core_reads_back_as_a_timeout(process: CoreProcess) -> None:
    """A readback that times out is an unreachable observation with reason TIMEOUT."""
    set_faults(process, {"latency_ms": 3000})
    bounded = replace(FAST, timeouts=Timeouts(connect=2.0, read=5.0, operation=0.5))
    async with client_for(process, bounded) as client:
        observation = await client.readback()
    assert (observation.reachable, observation.reason) == (False, Reason.TIMEOUT)


async def test_server_errors_are_retried_then_reported(
    client: CoreClient, process: CoreProcess
) -> None:
    """A Core answering 500 every time gets every try, then the call fails as SERVER_ERROR."""
    set_faults(process, {"path_prefix": "/api/v1/streams", "error_rate": 1.0})
    log = AccessLog(process)
    with pytest.raises(CoreCallError) as raised:
        await client.put(STREAM, "present", {})
    error = raised.value
    assert (error.reason, error.status, error.transient) == (Reason.SERVER_ERROR, 500, True)
    assert "internal" in error.message
    assert error.message.endswith("(after 3 tries)")
    assert log.count("PUT", "streams/present", 500) == 3


async def test_one_server_error_is_absorbed_by_a_retry(
    client: CoreClient, process: CoreProcess
) -> None:
    """A single 500 costs one retry; the call succeeds."""
    set_faults(process, {"path_prefix": "/api/v1/streams", "error_rate": ONCE_RATE, **ONCE})
    log = AccessLog(process)
    answered = await client.put(STREAM, "present", {"backpressure": "drop"})
    assert answered.body["backpressure"] == "drop"
    assert log.count("PUT", "streams/present", 500) == 1
    assert log.count("PUT", "streams/present", 200) == 1


async def test_a_refused_deploy_is_rejected_without_retry(
    client: CoreClient, process: CoreProcess
) -> None:
    """A 422 deploy_refused is permanent: one request, reason REJECTED."""
    set_faults(process, {"refuse_deploys": True})
    log = AccessLog(process)
    with pytest.raises(CoreCallError) as raised:
        await client.put(STREAM, "refused", {})
    error = raised.value
    assert (error.reason, error.status, error.transient) == (Reason.REJECTED, 422, False)
    assert "deploy_refused" in error.message
    assert log.count("PUT", "streams/refused") == 1


async def test_a_connection_closed_mid_answer_is_retried(
    client: CoreClient, process: CoreProcess
) -> None:
    """An answer cut half-way is retried; PUT is idempotent, so the retry simply replaces."""
    set_faults(process, {"path_prefix": "/api/v1/streams", "reset_rate": ONCE_RATE, **ONCE})
    log = AccessLog(process)
    answered = await client.put(STREAM, "cut-once", {"wal": True})
    assert answered.body["wal"] is True
    assert log.count("PUT", "streams/cut-once", 201) == 1  # handled, answer cut
    assert log.count("PUT", "streams/cut-once", 200) == 1  # the retry replaced it


async def test_connections_always_closed_mid_answer_end_unreachable(
    client: CoreClient, process: CoreProcess
) -> None:
    """When every answer is cut, the call fails as UNREACHABLE after every try."""
    set_faults(process, {"path_prefix": "/api/v1/streams", "reset_rate": 1.0})
    log = AccessLog(process)
    with pytest.raises(CoreCallError) as raised:
        await client.put(STREAM, "cut-always", {})
    error = raised.value
    assert (error.reason, error.transient) == (Reason.UNREACHABLE, True)
    assert "broke off the connection" in error.message
    assert log.count("PUT", "streams/cut-always") == 3


async def test_a_readback_rides_out_one_cut_answer(
    client: CoreClient, process: CoreProcess
) -> None:
    """Readback retries each list on its own; one cut answer does not fail the readback."""
    set_faults(process, {"path_prefix": "/api/v1/queries", "reset_rate": ONCE_RATE, **ONCE})
    observation = await client.readback()
    assert observation.reachable
    assert (STREAM, "present") in observation.components


async def test_an_out_of_band_edit_shows_in_the_next_readback(
    client: CoreClient, process: CoreProcess
) -> None:
    """A change made behind the reconciler's back (the admin edit route) is what readback sees."""
    await client.put(STREAM, "edited", {"backpressure": "block", "metadata": {"revision": "r1"}})
    with process.admin_client() as admin:
        patch = {"backpressure": "drop", "metadata": {"revision": "by-hand"}}
        admin.patch("streams/edited", json=patch).raise_for_status()
    component = (await client.readback()).components[(STREAM, "edited")]
    assert component.body["backpressure"] == "drop"
    assert component.metadata == {"revision": "by-hand"}
