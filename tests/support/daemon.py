"""The daemon for end-to-end tests: `reconciler run` as a real subprocess.

    daemon = DaemonProcess.create(tmp_path / "daemon", source=str(origin), state=state_dir)
    daemon.start()                    # returns once it listens (on a port the system chose)
    daemon.wait_ready()               # /readyz answers 200: the first pass completed
    daemon.metric("reconciler_passes_total", result="completed")
    daemon.signal(signal.SIGTERM); daemon.wait()   # -> exit code

Output goes to `daemon.log` in the daemon's folder (JSON lines with `log_format="json"`). The
fixture `daemon_factory` (in `fixtures.py`) stops every daemon a test started. Waiting always
polls with a deadline (`wait_until`).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.cores import wait_until

SCRIPT = str(Path(sys.executable).parent / "reconciler")
_LISTENING = re.compile(r"listening on (http://\S+)")


TOKEN_DIRS = str(Path(tempfile.gettempdir()).resolve())
"""Where tests keep Core token files: the token folder their commands allow."""


def base_env() -> dict[str, str]:
    """A small environment: no RECONCILER_* leaking in from the person running the tests.

    Core token files of tests live in temporary folders, so that is the token folder allowed.
    """
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["RECONCILER_TOKEN_DIRS"] = TOKEN_DIRS
    return env


@dataclass
class DaemonProcess:
    root: Path
    source: str
    state: Path
    args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=base_env)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    url: str | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls, root: Path, source: str, state: Path, args: Sequence[str] = ()
    ) -> DaemonProcess:
        root.mkdir(parents=True, exist_ok=True)
        return cls(root, source, state, tuple(args))

    @property
    def log_file(self) -> Path:
        return self.root / "daemon.log"

    def command(self) -> list[str]:
        return [
            SCRIPT,
            "run",
            "--repo",
            self.source,
            "--state-dir",
            str(self.state),
            "--listen",
            "127.0.0.1:0",
            *self.args,
        ]

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_lines(self) -> list[dict[str, Any]]:
        """The log as JSON objects (for a daemon started with `--log-format json`)."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start the process; returns once it says where it listens."""
        self._log = open(self.log_file, "ab")  # noqa: SIM115 (closed when the process ends)
        offset = self.log_file.stat().st_size
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            env={**self.env, "PYTHONUNBUFFERED": "1"},
        )

        def listening() -> str | None:
            if not self.running:
                raise AssertionError(f"the daemon exited during start:\n{self.log_text()}")
            found = _LISTENING.search(self.log_text()[offset:])
            return found.group(1) if found else None

        self.url = wait_until(listening, timeout, what="the daemon to listen")

    def get(self, path: str, timeout: float = 10.0) -> httpx.Response:
        assert self.url is not None
        return httpx.get(self.url + path, timeout=timeout)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        assert self.url is not None
        return httpx.post(self.url + path, content=body, headers=headers, timeout=10.0)

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if not self.running:
                raise AssertionError(f"the daemon exited:\n{self.log_text()}")
            return self.get("/readyz").status_code == 200

        wait_until(ready, timeout, what="the daemon to be ready")

    def metric(self, name: str, **labels: str) -> float:
        """One sample's value from /metrics (0 when the series does not exist yet)."""
        text = self.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the process to end; returns its exit code."""
        assert self.process is not None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as error:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the daemon did not stop:\n{self.log_text()}") from error
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code (0 when it was not running)."""
        if self.process is None:
            return 0
        if self.running:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)
