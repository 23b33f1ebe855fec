"""Not hammering a Core that refuses the token: hold-offs after 401, and a 429's Retry-After.

The client's clock is a `FakeClock`, so a hold "ends" when the test moves the clock; whether a
request was sent is read from the Core's access log.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.decide.model import ComponentKind, SecretRef
from reconciler.decide.observed import Reason
from reconciler.errors import CoreCallError
from reconciler.shell.core.client import CoreClient
from tests.integration.client.conftest import FAST, TOKEN_VARIABLE, FakeClock, core_of, environ_of
from tests.support.access import AccessLog
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio
STREAM = ComponentKind.STREAM
HOLD = FAST.auth.initial


@pytest.fixture(scope="module")
def process(module_core_factory: CoreFactory) -> CoreProcess:
    # a high threshold: these tests count 401s themselves and must not meet the real lockout
    return module_core_factory("guarded", admin=False, extra_args=["--lockout-threshold", "1000"])


def wrong_client(process: CoreProcess, clock: FakeClock) -> CoreClient:
    return CoreClient(core_of(process), {TOKEN_VARIABLE: "not-the-token"}, FAST, clock)


async def reason_of(client: CoreClient) -> Reason:
    with pytest.raises(CoreCallError) as raised:
        await client.get(STREAM, "anything")
    return raised.value.reason


async def test_after_a_401_nothing_is_sent_during_the_hold(process: CoreProcess) -> None:
    """One 401, then every call and readback fails fast as BACKING_OFF without a request."""
    clock = FakeClock()
    log = AccessLog(process)
    async with wrong_client(process, clock) as client:
        first = await reason_of(client)
        clock.advance(HOLD - 1)
        later = [await reason_of(client) for _ in range(5)]
        observation = await client.readback()
    assert first is Reason.UNAUTHORIZED
    assert later == [Reason.BACKING_OFF] * 5
    assert (observation.reachable, observation.reason) == (False, Reason.BACKING_OFF)
    assert observation.message is not None
    assert "holding off until 2030-01-01T00:00:30" in observation.message
    assert log.count("GET", "streams/anything") == 1
    assert log.count("GET", "health") == 0


async def test_the_hold_doubles_with_each_further_401(process: CoreProcess) -> None:
    """When a hold ends one probe goes out; if it gets a 401 too, the next hold is twice as long."""
    clock = FakeClock()
    log = AccessLog(process)
    async with wrong_client(process, clock) as client:
        reasons = [await reason_of(client)]  # 401: hold 30 s
        clock.advance(HOLD + 1)
        reasons.append(await reason_of(client))  # the probe: 401, hold 60 s
        clock.advance(2 * HOLD - 1)
        reasons.append(await reason_of(client))  # still held
        clock.advance(2)
        reasons.append(await reason_of(client))  # the second probe
    assert reasons == [
        Reason.UNAUTHORIZED,
        Reason.UNAUTHORIZED,
        Reason.BACKING_OFF,
        Reason.UNAUTHORIZED,
    ]
    assert log.count("GET", "streams/anything", 401) == 3


async def test_a_401_is_permanent_not_transient(process: CoreProcess) -> None:
    """A refused token needs a person: the error is not transient, and names the hold's end."""
    async with wrong_client(process, FakeClock()) as client:
        with pytest.raises(CoreCallError) as raised:
            await client.put(STREAM, "anything", {})
    error = raised.value
    assert (error.status, error.transient) == (401, False)
    assert error.message == (
        "core guarded answered put streams/anything with 401 (unauthorized: the bearer token is"
        " not valid); no calls to it until 2030-01-01T00:00:30+00:00"
    )


async def test_a_rotated_token_is_tried_at_once(process: CoreProcess, tmp_path: Path) -> None:
    """A token file that changed since the 401 is not held off: the new token goes out at once."""
    path = tmp_path / "token"
    path.write_text("an-old-token\n", encoding="utf-8")
    core = core_of(process, token=SecretRef(file=str(path)))
    async with CoreClient(core, {}, FAST, FakeClock()) as client:
        first = await reason_of(client)
        path.write_text(f"{process.token}\n", encoding="utf-8")
        observation = await client.readback()
    assert first is Reason.UNAUTHORIZED
    assert observation.reachable


async def test_a_bad_token_never_gets_the_address_locked_out(core_factory: CoreFactory) -> None:
    """Ten calls with a bad token make one request, well under the Core's lockout threshold."""
    process = core_factory("strict", admin=False, extra_args=["--lockout-threshold", "3"])
    async with wrong_client(process, FakeClock()) as client:
        reasons = [await reason_of(client) for _ in range(10)]
    assert reasons == [Reason.UNAUTHORIZED] + [Reason.BACKING_OFF] * 9
    async with CoreClient(core_of(process), environ_of(process), FAST) as client:
        assert (await client.readback()).reachable


async def test_a_lockout_holds_off_until_retry_after(core_factory: CoreFactory) -> None:
    """A 429 is LOCKED_OUT (transient); nothing is sent before Retry-After, one probe after."""
    args = ["--lockout-threshold", "2", "--lockout-seconds", "30"]
    process = core_factory("locking", admin=False, extra_args=args)
    for _ in range(2):  # someone else on this address keeps getting the token wrong
        httpx.get(f"{process.api_url}health", headers={"Authorization": "Bearer nope"})
    clock = FakeClock()
    log = AccessLog(process)
    async with CoreClient(core_of(process), environ_of(process), FAST, clock) as client:
        with pytest.raises(CoreCallError) as raised:
            await client.get(STREAM, "anything")
        clock.advance(29)
        held = await reason_of(client)
        clock.advance(2)
        probe = await reason_of(client)
    error = raised.value
    assert (error.reason, error.status, error.transient) == (Reason.LOCKED_OUT, 429, True)
    assert error.message.endswith("no calls to it until 2030-01-01T00:00:30+00:00")
    assert (held, probe) == (Reason.LOCKED_OUT, Reason.LOCKED_OUT)
    assert log.count("GET", "streams/anything", 429) == 2
