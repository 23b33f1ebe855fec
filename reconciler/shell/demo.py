"""The embedded default (SPEC §8): a whole world on this machine, in one folder.

    DIR/cores/<name>/       one reference Core each: data/ (registry, logs/, out/), token, core.log
                            (DIR/cores is the token folder the daemon allows: --token-dir)
    DIR/origin.git          a bare "origin" made from the shipped example repository
    DIR/work                the person's working clone of it
    DIR/state               the daemon's state directory (ledger, its own clone)

The example repository's three Core files are rewritten for the demo: each points at its local
reference Core (`http://127.0.0.1:<free port>`) with a `{file: …}` token written here; names and
labels stay. Everything else is the example as shipped: file connectors use paths relative to
each Core's data directory, syslog listens on 127.0.0.1:15514 (UDP) and :15515 (TCP), padas on
127.0.0.1:17001.

The Cores are child processes (`python -m reconciler core serve`), stopped with SIGTERM when
the demo ends; the folder stays for inspection. I/O module (processes, files, Git, HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import git
import httpx

from reconciler.decide.declared.parse import parse_repository
from reconciler.decide.model import Core
from reconciler.errors import ConfigurationError
from reconciler.shell.repo.files import read_folder

START_SECONDS = 30.0
STOP_SECONDS = 10.0
IDENTITY = ("Demo Person", "demo@example.invalid")


@dataclass(frozen=True, slots=True)
class DemoCore:
    """One reference Core of the demo and where its files are."""

    name: str
    port: int
    folder: Path
    labels: tuple[tuple[str, str], ...]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def token_file(self) -> Path:
        return self.folder / "token"

    @property
    def log_file(self) -> Path:
        return self.folder / "core.log"

    def command(self) -> list[str]:
        return [
            sys.executable,
            *("-m", "reconciler", "core", "serve", "--name", self.name),
            *("--port", str(self.port), "--data-dir", str(self.data_dir)),
            *("--token-file", str(self.token_file)),
        ]


@dataclass(frozen=True, slots=True)
class Demo:
    folder: Path
    cores: tuple[DemoCore, ...]

    @property
    def origin(self) -> Path:
        return self.folder / "origin.git"

    @property
    def work(self) -> Path:
        return self.folder / "work"

    @property
    def state(self) -> Path:
        return self.folder / "state"

    @property
    def tokens(self) -> Path:
        """The one token folder the demo's Core files may name (each Core's token is in it)."""
        return self.folder / "cores"

    def core(self, name: str) -> DemoCore:
        return next(core for core in self.cores if core.name == name)


def plan(folder: Path, example: Path) -> Demo:
    """The demo in `folder` (new or empty), with a free loopback port for each example Core."""
    folder = folder.expanduser().resolve()
    if folder.exists() and any(folder.iterdir()):
        raise ConfigurationError(f"--dir {folder} is not empty; give a new or empty folder")
    cores = tuple(
        DemoCore(core.name, _free_port(), folder / "cores" / core.name, tuple(core.labels.items()))
        for core in sorted(_example_cores(example), key=lambda core: core.name)
    )
    return Demo(folder, cores)


def _example_cores(example: Path) -> list[Core]:
    return list(parse_repository(read_folder(example)).cores.values())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def core_file(core: DemoCore) -> str:
    """The Core file the demo's repository holds for one local reference Core."""
    labels = "".join(f"\n  {key}: {value}" for key, value in core.labels)
    return (
        "# Rewritten by `reconciler demo`: a reference Core on this machine.\n"
        "apiVersion: reconciler/v1\nkind: Core\n"
        f"name: {core.name}\nurl: {core.url}\ntoken: {{file: {core.token_file}}}\n"
        + (f"labels:{labels}\n" if labels else "")
    )


# `git publish` in the person's clone: the daemon commits its reports to the same branch, so a
# push can meet a report commit that landed after the pull; rebase onto it and push again.
PUBLISH = (
    "!f() { for attempt in 1 2 3 4 5; do git pull -q --rebase && git push -q && return 0;"
    " sleep 1; done; return 1; }; f"
)


def make_repositories(demo: Demo, example: Path) -> None:
    """The bare origin and the person's clone, holding the example with the demo's Core files."""
    seed = git.Repo.init(demo.origin, bare=True, initial_branch="main")
    seed.close()
    shutil.copytree(example, demo.work)
    for path in (demo.work / "cores").glob("*.yaml"):
        path.unlink()
    for core in demo.cores:
        (demo.work / "cores" / f"{core.name}.yaml").write_text(core_file(core), encoding="utf-8")
    work = git.Repo.init(demo.work, initial_branch="main")
    with work.config_reader() as config:
        configured = config.get_value("user", "email", "")
    if not configured:
        with work.config_writer() as config:
            config.set_value("user", "name", IDENTITY[0])
            config.set_value("user", "email", IDENTITY[1])
    work.git.add("-A")
    work.git.commit("-q", "-m", "The example repository, with the demo's local Cores")
    with work.config_writer() as config:
        config.set_value("alias", "publish", PUBLISH)
    work.create_remote("origin", str(demo.origin))
    work.git.push("-q", "-u", "origin", "main")
    work.close()


class CoreProcesses:
    """The demo's Core processes: started together, stopped together."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        """Start every Core and return once each answers health with its token."""
        for core in self.demo.cores:
            (core.data_dir / "logs").mkdir(parents=True, exist_ok=True)
            descriptor = os.open(core.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(24) + "\n")
            with core.log_file.open("ab") as log:
                self.processes.append(
                    await asyncio.create_subprocess_exec(
                        *core.command(), stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
                    )
                )
        await asyncio.gather(*(self._healthy(core, process) for core, process in self._pairs()))

    def _pairs(self) -> list[tuple[DemoCore, asyncio.subprocess.Process]]:
        return list(zip(self.demo.cores, self.processes, strict=True))

    async def _healthy(self, core: DemoCore, process: asyncio.subprocess.Process) -> None:
        token = core.token_file.read_text(encoding="utf-8").strip()
        headers = {"Authorization": f"Bearer {token}"}
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        async with httpx.AsyncClient(headers=headers, timeout=1.0) as client:
            while asyncio.get_running_loop().time() < deadline:
                if process.returncode is not None:
                    break
                try:
                    if (await client.get(f"{core.url}/api/v1/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise ConfigurationError(f"core {core.name} did not start; see {core.log_file}")

    async def stop(self) -> None:
        """SIGTERM every Core still running and wait for it (SIGKILL after a while)."""
        await asyncio.gather(*(self._stop(process) for process in self.processes))

    async def _stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        # on a terminal Ctrl-C reached the Cores too: one may be gone by now
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
