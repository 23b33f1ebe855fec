"""Pytest fixtures that start reference Cores and always stop them.

    def test_something(core_factory):
        core = core_factory("edge", extra_args=["--stream-capacity", "64"])

`core_factory` Cores live for one test; `module_core_factory` Cores for one test module (share
one where tests do not interfere: starting a process costs about a second). Each Core gets its
own folder under pytest's temporary directory. `daemon_factory` makes `reconciler run`
processes (`tests/support/daemon.py`) and kills any still running when the test ends;
`postgres_server` is one real PostgreSQL server for the session.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.cores import CoreProcess
from tests.support.daemon import DaemonProcess
from tests.support.postgres import PostgresServer


class CoreFactory:
    """Starts Cores on demand and stops every one it started."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cores: list[CoreProcess] = []

    def __call__(
        self,
        name: str = "core",
        *,
        admin: bool = True,
        extra_args: Sequence[str] = (),
        generate_token: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> CoreProcess:
        """Create and start a Core (see `CoreProcess.create` for the options)."""
        core = CoreProcess.create(
            self.root / f"{name}-{len(self.cores)}",
            name,
            admin=admin,
            extra_args=extra_args,
            generate_token=generate_token,
            tls=tls,
        )
        self.cores.append(core)
        core.start()
        return core

    def close(self) -> None:
        for core in self.cores:
            core.stop()


@pytest.fixture
def core_factory(tmp_path: Path) -> Iterator[CoreFactory]:
    factory = CoreFactory(tmp_path / "cores")
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def module_core_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreFactory]:
    factory = CoreFactory(tmp_path_factory.mktemp("cores"))
    yield factory
    factory.close()


class DaemonFactory:
    """Creates daemons (not started) and stops every one of them at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.daemons: list[DaemonProcess] = []

    def __call__(self, source: str, state: Path, *args: str) -> DaemonProcess:
        daemon = DaemonProcess.create(
            self.root / f"daemon-{len(self.daemons)}", source, state, args
        )
        self.daemons.append(daemon)
        return daemon

    def close(self) -> None:
        for daemon in self.daemons:
            if daemon.running:
                daemon.signal(signal.SIGKILL)
            if daemon.process is not None:
                daemon.wait()


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[DaemonFactory]:
    factory = DaemonFactory(tmp_path / "daemons")
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the test session (`tests/support/postgres.py`);
    each test makes its own database in it with `postgres_server.database(name)`."""
    server = PostgresServer.create()
    try:
        server.start()
        yield server
    finally:
        server.remove()
