"""Real reference Cores for tests: each one a `python -m reconciler core serve` subprocess.

A `CoreProcess` owns one folder: `data/` (the Core's data directory), `token` and `admin-token`
(random tokens, written before start), and `core.log` (the process's output). It listens on a
free loopback port that it keeps across restarts, so a restarted Core is the same Core to its
clients.

    core = CoreProcess.create(tmp_path / "edge", name="edge")
    core.start()                      # returns once /api/v1/health answers 200
    with core.client() as client:     # httpx.Client on /api/v1 with the bearer token
        client.get("health")
    core.kill(); core.start()         # SIGKILL, then the same port and data directory again
    core.stop()                       # SIGTERM; returns the exit code

`generate_token=True` leaves out `--token-file`, so the Core generates `data/token` itself (the
helper reads it once it appears); `tls=(cert, key)` serves HTTPS, and clients trust `cert`.

The pytest fixtures in `tests/support/fixtures.py` start Cores and always stop them. Waiting
for anything (health, events arriving) goes through `wait_until`, which polls with a deadline.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import httpx

T = TypeVar("T")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class CoreFailed(AssertionError):
    """A Core did not start, or exited unexpectedly; the message ends with its log."""


def wait_until(
    probe: Callable[[], T | None],
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "the condition",
) -> T:
    """Poll `probe` until it returns something truthy, and return that; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class CoreProcess:
    """One reference Core process and the files it owns."""

    name: str
    root: Path
    port: int
    token: str
    admin_token: str | None
    extra_args: Sequence[str] = ()
    generate_token: bool = False
    tls: tuple[Path, Path] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        root: Path,
        name: str = "core",
        *,
        admin: bool = True,
        extra_args: Sequence[str] = (),
        generate_token: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> CoreProcess:
        """A Core ready to start in `root`: folders made, tokens written, a port chosen."""
        root.mkdir(parents=True, exist_ok=True)
        core = cls(
            name=name,
            root=root,
            port=free_port(),
            token="" if generate_token else secrets.token_urlsafe(24),
            admin_token=secrets.token_urlsafe(24) if admin else None,
            extra_args=tuple(extra_args),
            generate_token=generate_token,
            tls=tls,
        )
        if not generate_token:
            core.token_file.write_text(core.token + "\n", encoding="utf-8")
        if core.admin_token is not None:
            core.admin_token_file.write_text(core.admin_token + "\n", encoding="utf-8")
        return core

    # --- where things are -------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def token_file(self) -> Path:
        return self.data_dir / "token" if self.generate_token else self.root / "token"

    @property
    def admin_token_file(self) -> Path:
        return self.root / "admin-token"

    @property
    def log_file(self) -> Path:
        return self.root / "core.log"

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What clients verify the server's certificate with."""
        return ssl.create_default_context(cafile=self.tls[0]) if self.tls else True

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v1/"

    @property
    def admin_url(self) -> str:
        return f"{self.url}/admin/v1/"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "reconciler", "core", "serve", "--name", self.name]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        if not self.generate_token:
            command += ["--token-file", str(self.token_file)]
        if self.tls is not None:
            command += ["--tls-cert-file", str(self.tls[0]), "--tls-key-file", str(self.tls[1])]
        if self.admin_token is not None:
            command += ["--admin-token-file", str(self.admin_token_file)]
        return [*command, *self.extra_args]

    def log_text(self) -> str:
        return (
            self.log_file.read_text(encoding="utf-8", errors="replace")
            if self.log_file.exists()
            else ""
        )

    # --- clients ------------------------------------------------------------------------------

    def client(self, timeout: float = 10.0) -> httpx.Client:
        """An httpx client on the public API (`/api/v1/`), with the bearer token."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(
            base_url=self.api_url, headers=headers, timeout=timeout, verify=self.verify
        )

    def admin_client(self, timeout: float = 10.0) -> httpx.Client:
        """An httpx client on the admin routes (`/admin/v1/`), with the admin token."""
        assert self.admin_token is not None, f"core {self.name} was created without an admin token"
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return httpx.Client(
            base_url=self.admin_url, headers=headers, timeout=timeout, verify=self.verify
        )

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the process and return once health answers 200 with the token."""
        assert not self.running, f"core {self.name} is already running"
        self._log = open(self.log_file, "ab")  # noqa: SIM115 (closed when the process ends)
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        wait_until(self._healthy, timeout, what=f"core {self.name} to answer health")

    def _healthy(self) -> bool:
        if not self.running:
            raise CoreFailed(f"core {self.name} exited during start:\n{self.log_text()}")
        if self.generate_token and not self.token:
            if not self.token_file.exists():
                return False
            self.token = self.token_file.read_text(encoding="utf-8").strip()
        try:
            response = httpx.get(
                f"{self.api_url}health",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=1.0,
                verify=self.verify,
            )
        except httpx.TransportError:
            return False
        return response.status_code == 200

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait for the exit (SIGKILL after `timeout`), and return the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self._ended()

    def kill(self) -> None:
        """SIGKILL: the Core gets no chance to clean up."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._ended()

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Stop gracefully and start again on the same port and data directory."""
        self.stop()
        self.start(timeout)

    def _ended(self) -> int:
        assert self.process is not None
        code = self.process.returncode
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def __enter__(self) -> CoreProcess:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
