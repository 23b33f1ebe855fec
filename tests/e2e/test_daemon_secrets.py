"""`reconciler run` keeps its own secrets: the webhook's, and the Git credentials of SOURCE."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reconciler.shell.daemon.webhook import BODY_DEADLINE
from tests.support.cores import wait_until
from tests.support.daemon import SCRIPT, DaemonProcess, base_env
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet
from tests.support.githttp import GitHttpServer, Seen
from tests.support.repos import git

SECRET = "s3cret-git-password"  # noqa: S105 (a made-up credential the test hunts for)
USER = "reconciler"
REFUSED = "reconciler_webhook_deliveries_total"


class SourceFromEnvironment(DaemonProcess):
    """A daemon given SOURCE in `RECONCILER_REPO`, so that its own arguments hold no password."""

    def command(self) -> list[str]:
        return [SCRIPT, "run", "--state-dir", str(self.state), "--listen", "127.0.0.1:0"]


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """An empty bare repository: enough for the daemon to start and serve its endpoints."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    return bare


@pytest.fixture
def env_daemons() -> Iterator[list[DaemonProcess]]:
    """Daemons a test starts itself; each one is stopped at the end."""
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.stop()


def run_once(
    origin: Path, state: Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = [SCRIPT, "run", "--repo", str(origin), "--state-dir", str(state), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)


def test_an_empty_webhook_secret_file_stops_the_start(origin: Path, tmp_path: Path) -> None:
    """A blank secret file is exit 2 naming the file and the flag, not an empty HMAC key."""
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(" \n")

    done = run_once(
        origin, tmp_path / "state", "--webhook-secret-file", str(secret_file), env=base_env()
    )

    assert done.returncode == 2
    assert f"webhook secret file {secret_file} (--webhook-secret-file) is empty" in done.stderr
    assert not (tmp_path / "state").exists()


def test_an_empty_webhook_secret_variable_stops_the_start(origin: Path, tmp_path: Path) -> None:
    """`RECONCILER_WEBHOOK_SECRET` set but empty is exit 2 naming the variable."""
    env = {**base_env(), "RECONCILER_WEBHOOK_SECRET": ""}

    done = run_once(origin, tmp_path / "state", env=env)

    assert done.returncode == 2
    assert "RECONCILER_WEBHOOK_SECRET is empty" in done.stderr


def delivery_headers(length: int) -> bytes:
    return (
        "POST /webhook HTTP/1.1\r\nHost: reconciler\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nX-Hub-Signature-256: sha256={'0' * 64}\r\n\r\n{{"
    ).encode()


def answer_while_trickling(sock: socket.socket, deadline: float) -> bytes:
    """Send a byte every half second (never a long pause) until the daemon answers."""
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            return sock.recv(4096)
        except TimeoutError:
            with contextlib.suppress(OSError):
                sock.sendall(b" ")
    raise AssertionError("no answer to the trickled delivery")


def test_a_webhook_body_that_stalls_or_trickles_is_answered_408(
    origin: Path, tmp_path: Path, daemon_factory: DaemonFactory
) -> None:
    """Headers, then a body that stops or comes a byte at a time: 408 at the deadline, refused."""
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text("s3cret-for-hooks\n")
    daemon = daemon_factory(
        str(origin), tmp_path / "state", "--webhook-secret-file", str(secret_file)
    )
    daemon.start()
    assert daemon.url is not None
    address = urlsplit(daemon.url)
    target = (address.hostname or "", address.port or 0)
    deadline = time.monotonic() + BODY_DEADLINE + 20

    with socket.create_connection(target) as stalled, socket.create_connection(target) as trickled:
        stalled.sendall(delivery_headers(1000))
        trickled.sendall(delivery_headers(1000))
        trickled_answer = answer_while_trickling(trickled, deadline)
        stalled.settimeout(deadline - time.monotonic())
        stalled_answer = stalled.recv(4096)

    assert trickled_answer.startswith(b"HTTP/1.1 408 ")
    assert stalled_answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in stalled_answer.lower()
    assert daemon.metric(REFUSED, result="refused") == 2
    assert daemon.metric("reconciler_triggers_total", source="webhook") == 0
    assert daemon.get("/healthz").status_code == 200
    assert "Traceback" not in daemon.log_text()


def test_a_daemon_on_an_authenticated_http_source_keeps_the_password_to_itself(
    tmp_path: Path, core_factory: CoreFactory, env_daemons: list[DaemonProcess]
) -> None:
    """Fetch and report push over Basic auth; the password is in no file, log or command line."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    sampled: list[bytes] = []

    def sample(_seen: Seen) -> None:
        for path in Path("/proc").glob("[0-9]*/cmdline"):
            with contextlib.suppress(OSError):
                sampled.append(path.read_bytes().replace(b"\0", b" "))

    with GitHttpServer(fleet.origin.parent, USER, SECRET, on_request=sample) as server:
        daemon = SourceFromEnvironment.create(tmp_path / "daemon", "", fleet.state)
        daemon.env["RECONCILER_REPO"] = server.url(fleet.origin.name, USER, SECRET)
        env_daemons.append(daemon)
        daemon.start()
        daemon.wait_ready()
        wait_until(lambda: git(fleet.origin, "ls-tree", "main", "status"), what="the report")
        assert daemon.stop() == 0

    assert any(seen.authorized and seen.method == "POST" for seen in server.requests)
    assert fleet.row("web")["status"] == "Pending deployment"
    assert any(b"remote-http" in line for line in sampled), "git's remote helper was not seen"
    assert [line for line in sampled if SECRET.encode() in line] == []
    assert SECRET not in daemon.log_text()
    holding = [
        p for p in fleet.state.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()
    ]
    assert holding == []
    assert fleet.state.stat().st_mode & 0o777 == 0o700
