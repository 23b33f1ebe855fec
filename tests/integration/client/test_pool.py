"""Reading back several real Cores at once: a dead one and a slow one never hold up the rest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.decide.model import ComponentKind, Core, SecretRef
from reconciler.decide.observed import Reason
from reconciler.shell.core.policy import Timeouts
from reconciler.shell.core.pool import CorePool
from tests.integration.client.conftest import FAST, core_of
from tests.support.access import set_faults
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio
BOUNDED = replace(FAST, timeouts=Timeouts(connect=1.0, read=1.0, operation=1.5))


def declared(processes: list[CoreProcess]) -> tuple[list[Core], dict[str, str]]:
    """The Cores as declared, each with its own token variable, and the environment with them."""
    cores = [core_of(p, token=SecretRef(env=f"TOKEN_{p.name.upper()}")) for p in processes]
    environ = {f"TOKEN_{p.name.upper()}": p.token for p in processes}
    return cores, environ


@pytest.fixture
def fleet(core_factory: CoreFactory) -> list[CoreProcess]:
    """Four Cores, each holding one stream named after it."""
    processes = [core_factory(name) for name in ("east", "west", "dead", "slow")]
    for process in processes:
        with process.client() as client:
            client.put(f"streams/{process.name}", json={"name": process.name}).raise_for_status()
    return processes


async def test_a_dead_and_a_slow_core_do_not_hold_up_the_others(
    fleet: list[CoreProcess],
) -> None:
    """The healthy Cores come back first and whole; the killed one unreachable; the slow one
    last, as a timeout."""
    cores, environ = declared(fleet)
    east, west, dead, slow = fleet
    dead.kill()
    set_faults(slow, {"latency_ms": 5000})
    finished: list[str] = []
    async with CorePool(environ, BOUNDED) as pool:
        observations = await pool.readback_all(
            cores, on_each=lambda observation: finished.append(observation.core)
        )
    slow.kill()  # its latency-held requests would only slow down a graceful stop
    assert list(observations) == ["east", "west", "dead", "slow"]
    assert finished[-1] == "slow"
    assert sorted(finished[:3]) == ["dead", "east", "west"]
    for process in (east, west):
        observation = observations[process.name]
        assert observation.reachable
        assert list(observation.components) == [(ComponentKind.STREAM, process.name)]
    assert (observations["dead"].reachable, observations["dead"].reason) == (
        False,
        Reason.UNREACHABLE,
    )
    assert (observations["slow"].reachable, observations["slow"].reason) == (
        False,
        Reason.TIMEOUT,
    )


async def test_readback_all_keeps_what_each_core_last_showed(
    core_factory: CoreFactory,
) -> None:
    """Given the previous observations, a Core that died keeps its last components."""
    processes = [core_factory(name) for name in ("alive", "dying")]
    cores, environ = declared(processes)
    for process in processes:
        with process.client() as client:
            client.put("streams/kept", json={"name": "kept"}).raise_for_status()
    async with CorePool(environ, BOUNDED) as pool:
        first = await pool.readback_all(cores)
        processes[1].kill()
        second = await pool.readback_all(cores, first)
    assert [second[name].reachable for name in ("alive", "dying")] == [True, False]
    assert second["dying"].components == first["dying"].components
    assert second["dying"].last_seen == first["dying"].last_seen


async def test_the_pool_keeps_one_client_per_core(core_factory: CoreFactory) -> None:
    """The same Core gets the same client; a Core whose url changed gets a new one."""
    process = core_factory("kept", admin=False)
    core = core_of(process)
    moved = core_of(process, url=process.url.replace("127.0.0.1", "localhost"))
    async with CorePool({}, BOUNDED) as pool:
        first = pool.client(core)
        assert pool.client(core) is first
        other = pool.client(moved)
        assert other is not first
        await pool.retain([moved])
        assert pool.client(moved) is other
        assert pool.client(core) is not first
