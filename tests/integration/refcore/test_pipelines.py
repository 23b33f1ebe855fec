"""Events really flow through a Core: file, syslog and http connectors, tasks, backpressure."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.support.cores import CoreProcess, free_port, free_udp_port, wait_until
from tests.support.events import append_lines, read_jsonl, wait_for_events
from tests.support.fixtures import CoreFactory

CAPACITY = 64


@pytest.fixture(scope="module")
def core(module_core_factory: CoreFactory) -> CoreProcess:
    return module_core_factory("flow", extra_args=["--stream-capacity", str(CAPACITY)])


@pytest.fixture
def client(core: CoreProcess) -> Iterator[httpx.Client]:
    with core.client() as client:
        yield client


def deploy(client: httpx.Client, *components: tuple[str, dict[str, Any]]) -> None:
    for kind, body in components:
        response = client.put(f"{kind}/{body['name']}", json=body)
        assert response.status_code in (200, 201), response.text


def start(client: httpx.Client, *names: str) -> None:
    """Start components given as kind/name, in order (sinks first, as SPEC §5 says)."""
    for name in names:
        response = client.post(f"{name}/start")
        assert response.json()["state"] == "running", response.text


def stream(name: str, backpressure: str = "block") -> tuple[str, dict[str, Any]]:
    return "streams", {"name": name, "backpressure": backpressure}


def connector(
    name: str, type_: str, class_: str, stream_: str, **config: Any
) -> tuple[str, dict[str, Any]]:
    return "connectors", {
        "name": name,
        "type": type_,
        "class": class_,
        "stream": stream_,
        "config": config,
    }


def task(name: str, source: str, sinks: list[str], **query: Any) -> tuple[str, dict[str, Any]]:
    mode = "processing" if "query" in query else "detection"
    return "tasks", {
        "name": name,
        "mode": mode,
        "source_stream": source,
        "sink_streams": sinks,
        **query,
    }


def test_file_processing_file(core: CoreProcess, client: httpx.Client) -> None:
    """Lines appended to a file come out of the processing task filtered and reshaped."""
    deploy(
        client,
        stream("web-in"),
        stream("web-out"),
        connector("web-log", "source", "file", "web-in", path="logs/access.log"),
        connector("web-errors", "sink", "file", "web-out", path="out/errors.jsonl"),
        task(
            "web-filter",
            "web-in",
            ["web-out"],
            query='status >= 500 | eval severity = "error" | fields time, host, path, status'
            ", severity",
        ),
    )
    log = core.data_dir / "logs" / "access.log"
    append_lines(
        log, {"time": "t0", "host": "h", "path": "/old", "status": 500}
    )  # before start: not read
    start(client, "connectors/web-errors", "tasks/web-filter", "connectors/web-log")
    append_lines(
        log,
        {"time": "t1", "host": "h", "path": "/a", "status": 200, "agent": "x"},
        {"time": "t2", "host": "h", "path": "/b", "status": 503, "agent": "x"},
        "not json at all",
        {"time": "t3", "host": "h", "path": "/c", "status": "502"},
    )
    events = wait_for_events(core.data_dir / "out" / "errors.jsonl", 2)
    assert events == [
        {"time": "t2", "host": "h", "path": "/b", "status": 503, "severity": "error"},
        {"time": "t3", "host": "h", "path": "/c", "status": "502", "severity": "error"},
    ]
    metrics = client.get("metrics").json()
    assert metrics["connectors"]["web-log"]["events_out"] == 4
    assert metrics["tasks"]["web-filter"] == {
        "events_in": 4,
        "events_out": 2,
        "dropped": 0,
        "errors": 0,
    }
    assert metrics["connectors"]["web-errors"]["events_out"] == 2


def test_detection_tags_the_matching_query(core: CoreProcess, client: httpx.Client) -> None:
    """A detection task emits events any saved query matches, tagged with the first match's id."""
    deploy(
        client,
        stream("auth-in"),
        stream("alerts"),
        ("queries", {"name": "ssh-fail", "pdl": 'app = "sshd" AND message ?= "Failed password"'}),
        ("queries", {"name": "sudo-root", "pdl": 'app = "sudo" AND message ?= "USER=root"'}),
        connector("auth-log", "source", "file", "auth-in", path="logs/auth.log"),
        connector("alerts-out", "sink", "file", "alerts", path="out/alerts.jsonl"),
        task("detect", "auth-in", ["alerts"], query_ids=["ssh-fail", "sudo-root"]),
    )
    start(client, "connectors/alerts-out", "tasks/detect", "connectors/auth-log")
    append_lines(
        core.data_dir / "logs" / "auth.log",
        {"app": "sshd", "message": "Failed password for root"},
        {"app": "sshd", "message": "Accepted publickey"},
        {"app": "sudo", "message": "ana : USER=root ; COMMAND=/bin/sh"},
    )
    events = wait_for_events(core.data_dir / "out" / "alerts.jsonl", 2)
    assert [(e["app"], e["query_id"]) for e in events] == [
        ("sshd", "ssh-fail"),
        ("sudo", "sudo-root"),
    ]


def test_syslog_udp_to_file(core: CoreProcess, client: httpx.Client) -> None:
    """Syslog datagrams arrive in the file sink parsed into fields, raw line kept."""
    port = free_udp_port()
    deploy(
        client,
        stream("sys-in"),
        connector(
            "sys-udp", "source", "syslog", "sys-in", address="127.0.0.1", port=port, mode="udp"
        ),
        connector("sys-archive", "sink", "file", "sys-in", path="out/syslog.jsonl"),
    )
    start(client, "connectors/sys-archive", "connectors/sys-udp")
    line = "<38>Mar  3 10:00:01 bastion sshd[812]: Failed password for root"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(line.encode(), ("127.0.0.1", port))
    [event] = wait_for_events(core.data_dir / "out" / "syslog.jsonl", 1)
    assert event | {"timestamp": None} == {
        "message": "Failed password for root",
        "app": "sshd",
        "host": "bastion",
        "severity": "info",
        "facility": "auth",
        "pid": "812",
        "timestamp": None,
        "raw": line,
    }


def test_syslog_tcp_sink_to_syslog_tcp_source(core: CoreProcess, client: httpx.Client) -> None:
    """A syslog sink sends newline-framed lines over TCP that a syslog source parses again."""
    port = free_port()
    deploy(
        client,
        stream("relay-in"),
        stream("relay-back"),
        connector("relay-file", "source", "file", "relay-in", path="logs/relay.log"),
        connector(
            "relay-send", "sink", "syslog", "relay-in", address="127.0.0.1", port=port, mode="tcp"
        ),
        connector(
            "relay-listen",
            "source",
            "syslog",
            "relay-back",
            address="127.0.0.1",
            port=port,
            mode="both",
        ),
        connector("relay-out", "sink", "file", "relay-back", path="out/relay.jsonl"),
    )
    start(
        client,
        "connectors/relay-out",
        "connectors/relay-listen",
        "connectors/relay-send",
        "connectors/relay-file",
    )
    append_lines(
        core.data_dir / "logs" / "relay.log",
        {"message": "disk full", "host": "db1", "app": "mon"},
        {"status": 7},
    )
    events = wait_for_events(core.data_dir / "out" / "relay.jsonl", 2)
    assert [(e["host"], e["app"], e["message"]) for e in events] == [
        ("db1", "mon", "disk full"),
        (None, "refcore", '{"status":7}'),
    ]


class _Web(BaseHTTPRequestHandler):
    """A tiny JSON web service: GET answers an array of two events, POST records its body."""

    received: ClassVar[list[Any]] = []

    def do_GET(self) -> None:
        self._answer(
            json.dumps([{"cpu_pct": 12, "host": "m1"}, {"cpu_pct": 0, "host": "m2"}]).encode()
        )

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Web.received.append(json.loads(self.rfile.read(length)))
        self._answer(b"{}")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Web)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_poll_to_http_post(client: httpx.Client, web: str) -> None:
    """An http source polls a JSON array; a task filters it; an http sink posts JSON arrays."""
    _Web.received.clear()
    deploy(
        client,
        stream("metrics-raw"),
        stream("metrics-clean"),
        connector(
            "poll", "source", "http", "metrics-raw", endpoint=f"{web}/metrics.json", interval_ms=100
        ),
        connector("push", "sink", "http", "metrics-clean", endpoint=f"{web}/ingest"),
        task(
            "clean",
            "metrics-raw",
            ["metrics-clean"],
            query="cpu_pct > 0 | rename cpu_pct as cpu | fields host, cpu",
        ),
    )
    start(client, "connectors/push", "tasks/clean", "connectors/poll")

    def two_polls_posted() -> list[Any] | None:
        events = [event for batch in _Web.received for event in batch]
        return events[:2] if len(events) >= 2 else None

    assert wait_until(two_polls_posted, what="two posted events") == [{"host": "m1", "cpu": 12}] * 2
    assert all(isinstance(batch, list) for batch in _Web.received)
    client.post("connectors/poll/stop").raise_for_status()


def test_drop_backpressure_counts_dropped_events(core: CoreProcess, client: httpx.Client) -> None:
    """A full drop stream discards what does not fit, counted on the stream and the producer."""
    deploy(
        client,
        stream("lossy", "drop"),
        connector("flood", "source", "file", "lossy", path="logs/flood.log"),
    )
    start(client, "connectors/flood")
    append_lines(core.data_dir / "logs" / "flood.log", *({"n": n} for n in range(CAPACITY + 36)))

    def flood_read() -> dict[str, Any] | None:
        metrics: dict[str, Any] = client.get("metrics").json()
        return metrics if metrics["connectors"]["flood"]["events_in"] == CAPACITY + 36 else None

    counters = wait_until(flood_read, what="the flood to be read")
    assert counters["connectors"]["flood"] == {
        "events_in": 100,
        "events_out": 64,
        "dropped": 36,
        "errors": 0,
    }
    assert counters["streams"]["lossy"] == {"depth": 64, "capacity": 64, "dropped": 36}
    deploy(client, connector("drain", "sink", "file", "lossy", path="out/drain.jsonl"))
    start(client, "connectors/drain")
    assert [e["n"] for e in wait_for_events(core.data_dir / "out" / "drain.jsonl", 64)] == list(
        range(64)
    )


def test_file_source_follows_missing_file_rotation_and_truncation(
    core: CoreProcess, client: httpx.Client
) -> None:
    """The file source waits for its file, then follows a rename-and-recreate and a truncation."""
    deploy(
        client,
        stream("rot"),
        connector("rot-in", "source", "file", "rot", path="logs/rot.log"),
        connector("rot-out", "sink", "file", "rot", path="out/rot.jsonl"),
    )
    start(client, "connectors/rot-out", "connectors/rot-in")
    log, out = core.data_dir / "logs" / "rot.log", core.data_dir / "out" / "rot.jsonl"
    append_lines(log, "first")
    wait_for_events(out, 1)
    log.rename(log.with_suffix(".log.1"))
    append_lines(log, "second")
    wait_for_events(out, 2)
    log.write_text("")
    append_lines(log, "third")
    assert [e["message"] for e in wait_for_events(out, 3)] == ["first", "second", "third"]


def test_fan_out_every_reader_gets_every_event(core: CoreProcess, client: httpx.Client) -> None:
    """Two sinks on one stream both receive every event."""
    deploy(
        client,
        stream("fan"),
        connector("fan-in", "source", "file", "fan", path="logs/fan.log"),
        connector("fan-a", "sink", "file", "fan", path="out/fan-a.jsonl"),
        connector("fan-b", "sink", "file", "fan", path="out/fan-b.jsonl"),
    )
    start(client, "connectors/fan-a", "connectors/fan-b", "connectors/fan-in")
    append_lines(core.data_dir / "logs" / "fan.log", *({"n": n} for n in range(5)))
    for name in ("fan-a", "fan-b"):
        assert [
            e["n"] for e in wait_for_events(core.data_dir / "out" / f"{name}.jsonl", 5)
        ] == list(range(5))


def test_relative_and_absolute_paths(
    core: CoreProcess, client: httpx.Client, tmp_path: Path
) -> None:
    """Relative file paths resolve against the data directory; absolute ones are used as given."""
    outside = tmp_path / "elsewhere" / "out.jsonl"
    deploy(
        client,
        stream("paths"),
        connector("paths-in", "source", "file", "paths", path="logs/paths.log"),
        connector("paths-out", "sink", "file", "paths", path=str(outside)),
    )
    start(client, "connectors/paths-out", "connectors/paths-in")
    append_lines(core.data_dir / "logs" / "paths.log", "hello")
    assert wait_for_events(outside, 1) == [{"message": "hello"}]
    assert read_jsonl(core.data_dir / str(outside).lstrip("/")) == []
