"""The live pages of `reconciler run` over HTTP: credentials, the live stream and its bounds."""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from reconciler.shell.daemon.pages.feed import MAX_STREAMS
from tests.support.cores import wait_until
from tests.support.daemon import SCRIPT, DaemonProcess, base_env
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "page-token-" + "q" * 24


def started(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory, *args: str
) -> tuple[Fleet, DaemonProcess]:
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s", *args)
    daemon.start()
    daemon.wait_ready()
    return fleet, daemon


def snapshots(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """The `snapshot` events of a live stream's lines, as they come."""
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "snapshot":
            yield json.loads(line.removeprefix("data: "))


def test_with_an_auth_file_pages_and_api_ask_for_credentials_and_probes_do_not(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """`--http-auth-file`: 401 without a credential, 200 with the bearer or the basic one."""
    auth = tmp_path / "http-auth"
    auth.write_text(f"bearer {TOKEN}\nbasic oncall:horse-battery\n")
    _fleet, daemon = started(tmp_path, core_factory, daemon_factory, "--http-auth-file", str(auth))
    assert daemon.url is not None
    basic = "Basic " + base64.b64encode(b"oncall:horse-battery").decode()
    for path in ("/", "/plan", "/api/status", "/metrics"):
        assert httpx.get(daemon.url + path).status_code == 401
        bearer = httpx.get(daemon.url + path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200
        assert httpx.get(daemon.url + path, headers={"Authorization": basic}).status_code == 200
    assert (daemon.get("/healthz").status_code, daemon.get("/readyz").status_code) == (200, 200)
    assert TOKEN not in daemon.log_text()
    assert "horse-battery" not in daemon.log_text()


def test_a_bad_auth_file_stops_the_start_naming_its_line(tmp_path: Path) -> None:
    """A line of neither form is a configuration error (exit 2) naming the file and line."""
    auth = tmp_path / "http-auth"
    auth.write_text("# ok\nhunter2-alone\n")
    done = subprocess.run(
        [SCRIPT, "run", "--repo", str(tmp_path), "--http-auth-file", str(auth)],
        capture_output=True,
        text=True,
        timeout=60,
        env=base_env(),
        check=False,
    )
    assert done.returncode == 2
    assert f"http auth file {auth} (--http-auth-file) line 2" in done.stderr
    assert "hunter2" not in done.stderr


def test_the_stream_tells_each_publication(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """`/events` sends the current snapshot, then a new one when a pass publishes."""
    fleet, daemon = started(tmp_path, core_factory, daemon_factory, "--readback-interval", "1h")
    assert daemon.url is not None
    with httpx.stream("GET", daemon.url + "/events", timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = snapshots(response.iter_lines())
        first = next(events)
        fleet.assign("alerts", ["edge-1"])
        fleet.push("assign alerts")
        second = next(events)
    assert first["id"] != second["id"]
    assert first["id"].split("-")[0] == second["id"].split("-")[0]
    assert second["generated_at"] > first["generated_at"]


def test_streams_are_bounded_and_a_freed_slot_is_taken_again(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """Past the limit a stream is refused with 503 and Retry-After; closing one frees a slot."""
    _fleet, daemon = started(tmp_path, core_factory, daemon_factory)
    assert daemon.url is not None
    limits = httpx.Limits(max_connections=MAX_STREAMS + 2)
    with httpx.Client(base_url=daemon.url, timeout=30, limits=limits) as client:
        with contextlib.ExitStack() as open_streams:
            streams = [
                open_streams.enter_context(client.stream("GET", "/events"))
                for _ in range(MAX_STREAMS)
            ]
            assert {stream.status_code for stream in streams} == {200}
            refused = client.get("/events")
            assert (refused.status_code, refused.headers["retry-after"]) == (503, "10")
            assert client.get("/").status_code == 200

        def admitted() -> bool:
            with client.stream("GET", "/events") as again:
                return again.status_code == 200

        wait_until(admitted, 10, 0.2, "a freed slot")


def test_a_stream_that_is_never_read_holds_no_pass_up(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """A client that opens the stream and reads nothing does not stop passes or pages."""
    fleet, daemon = started(tmp_path, core_factory, daemon_factory)
    assert daemon.url is not None
    host, port = daemon.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as silent:
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        silent.sendall(f"GET /events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        fleet.assign("alerts", ["edge-1"])
        head = fleet.push("assign alerts")
        wait_until(lambda: fleet.report()["revision"] == head, 30, what="the pass of the push")
        assert 'data-pipeline="alerts"' in daemon.get("/").text


def test_a_daemon_told_to_stop_ends_its_streams(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """SIGTERM ends every open stream at once, and the daemon exits 0."""
    _fleet, daemon = started(tmp_path, core_factory, daemon_factory, "--readback-interval", "1h")
    assert daemon.url is not None
    with httpx.stream("GET", daemon.url + "/events", timeout=30) as response:
        lines = response.iter_lines()
        next(snapshots(lines))
        daemon.signal(signal.SIGTERM)
        rest = list(lines)
    assert ": still here" not in rest
    assert daemon.wait() == 0


def test_the_plan_page_has_the_digest_reconciler_plan_prints(
    tmp_path: Path, core_factory: CoreFactory, daemon_factory: DaemonFactory
) -> None:
    """The page plans from what the daemon holds, and agrees with `reconciler plan`."""
    fleet, daemon = started(tmp_path, core_factory, daemon_factory)
    printed = json.loads(
        fleet.reconciler("plan", "--repo", str(fleet.work), "--format", "json").stdout
    )
    page = daemon.get("/plan").text
    assert f'<code id="digest">{printed["digest"]}</code>' in page
    assert printed["changes"] > 0


def test_the_wheel_carries_the_templates_and_static_files(tmp_path: Path) -> None:
    """A built wheel holds every template and static file, and loads them from itself."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    [wheel] = tmp_path.glob("reconciler-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = ROOT / "reconciler" / "shell" / "daemon" / "pages"
    for folder in ("templates", "static"):
        for path in (shipped / folder).iterdir():
            assert f"reconciler/shell/daemon/pages/{folder}/{path.name}" in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "from reconciler.shell.daemon.pages import routes; "
        "print(sorted(routes.static_files()), routes._templates.get_template('table.html').name)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(unpacked)!r}); {code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['favicon.svg', 'pages.css', 'pages.js'] table.html"
