"""`reconciler core serve-fleet`: many reference Cores in one process, each on a port of its own.

Each Core is the same app as `core serve` (`serve.prepare`): its own name, token (and admin token,
so fault injection works per Core), registry and runtime, in `DATA_DIR/<name>/`. One uvicorn
server listens on every port and hands each request to the app of the port it came in on, so an
idle Core costs a few objects, not a process: a fleet of hundreds rehearses a real one on one
machine (benchmarks and scale tests use it). `--in-memory` keeps registries out of the disk, as
a benchmark wants (nothing is fsynced per change).

`DATA_DIR/fleet.json` lists the Cores (`name`, `url`, `token_file`, `admin_token_file`) once they
all listen. I/O module (sockets, files).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from reconciler.refcore.serve import OneLineFormatter, ServeSettings, StartupError, prepare

log = logging.getLogger("reconciler.refcore.fleet")
MANIFEST = "fleet.json"


@dataclass(frozen=True, slots=True)
class FleetSettings:
    """Everything `core serve-fleet` takes."""

    count: int
    base_port: int
    data_dir: Path
    host: str = "127.0.0.1"
    prefix: str = "core"
    """Cores are named `<prefix>-0000`, `<prefix>-0001`, …"""
    in_memory: bool = False
    log_level: str = "warning"

    def names(self) -> list[str]:
        return [f"{self.prefix}-{index:04d}" for index in range(self.count)]


class Dispatcher:
    """One ASGI app in front of many: each request goes to the app of the port it arrived on."""

    def __init__(self, apps: dict[int, Starlette]) -> None:
        self.apps = apps

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        port: int = scope["server"][1]
        await self.apps[port](scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await receive()
            for app in self.apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            await send({"type": "lifespan.startup.complete"})
            await receive()
        await send({"type": "lifespan.shutdown.complete"})


def serve_fleet(settings: FleetSettings) -> None:
    """Run the fleet until SIGTERM or Ctrl-C; raises StartupError when it cannot start."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    if settings.count < 1 or settings.base_port < 1 or settings.base_port + settings.count > 65536:
        raise StartupError("--count and --base-port must name ports between 1 and 65535")
    apps = {
        settings.base_port + index: prepare(_core(settings, name))
        for index, name in enumerate(settings.names())
    }
    asyncio.run(_serve(settings, apps))


def _core(settings: FleetSettings, name: str) -> ServeSettings:
    folder = settings.data_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    admin = folder / "admin-token"
    if not admin.exists():
        admin.write_text(f"admin-{name}-{_random()}\n")
        admin.chmod(0o600)
    return ServeSettings(
        name=name,
        port=0,
        host=settings.host,
        data_dir=folder / "data",
        token_file=_token(folder),
        admin_token_file=admin,
        log_level=settings.log_level,
        persist=not settings.in_memory,
    )


def _token(folder: Path) -> Path:
    path = folder / "token"
    if not path.exists():
        path.write_text(_random() + "\n")
        path.chmod(0o600)
    return path


def _random() -> str:
    return secrets.token_urlsafe(24)


async def _serve(settings: FleetSettings, apps: dict[int, Starlette]) -> None:
    async with _sockets(settings) as sockets:
        config = uvicorn.Config(
            Dispatcher(apps),
            log_config=None,
            log_level=settings.log_level,
            timeout_graceful_shutdown=5,
            server_header=False,
            backlog=4096,
        )
        server = uvicorn.Server(config)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
        serving = asyncio.create_task(server.serve(sockets=sockets))
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        _write_manifest(settings)
        log.info("fleet of %d Core(s) serving from port %d", settings.count, settings.base_port)
        await serving


@contextlib.asynccontextmanager
async def _sockets(settings: FleetSettings) -> AsyncIterator[list[socket.socket]]:
    bound: list[socket.socket] = []
    try:
        for index in range(settings.count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # asyncio turns Nagle's algorithm off only on sockets it makes itself; on these, every
            # answer after a connection's first would wait ~40 ms for the client's delayed ACK.
            # Linux hands the option of a listening socket down to the connections it accepts.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                sock.bind((settings.host, settings.base_port + index))
            except OSError as error:
                port = settings.base_port + index
                raise StartupError(f"port {port} cannot be used: {error.strerror}") from error
            sock.listen(256)
        yield bound
    finally:
        for sock in bound:
            sock.close()


def _write_manifest(settings: FleetSettings) -> None:
    cores = [
        {
            "name": name,
            "url": f"http://{settings.host}:{settings.base_port + index}",
            "token_file": str((settings.data_dir / name / "token").resolve()),
            "admin_token_file": str((settings.data_dir / name / "admin-token").resolve()),
        }
        for index, name in enumerate(settings.names())
    ]
    (settings.data_dir / MANIFEST).write_text(json.dumps(cores, indent=1) + "\n")
