"""A misbehaving proxy in front of a reference Core: a real HTTP server on a loopback port.

    proxy = Proxy.start(core.url)          # forwards everything, as a network would
    proxy.mode = Mode.HANG                 # holds every request until released (or stopped)
    proxy.mode = Mode.ECHO_AUTH            # answers 400 quoting the Authorization header, long
    proxy.mode = Mode.DELETE_404           # answers DELETE with 404 and forwards the rest
    proxy.mode = Mode.FLAP                 # every other health check fails (400, never retried)
    proxy.hanging                          # requests it holds right now
    proxy.seen                             # (method, path) of every request, in order
    proxy.stop()

It runs in a thread of the test process; the reconciler under test (a subprocess) talks to it
as to any Core. Forwarding is plain HTTP/1.1 through `http.client`.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Mode(Enum):
    PASS = "pass"  # noqa: S105 (a mode, not a password)
    HANG = "hang"
    ECHO_AUTH = "echo-auth"
    DELETE_404 = "delete-404"
    FLAP = "flap"


@dataclass
class Proxy:
    server: ThreadingHTTPServer
    target: str
    mode: Mode = Mode.PASS
    seen: list[tuple[str, str]] = field(default_factory=list)
    hanging: int = 0
    health_checks: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, target: str) -> Proxy:
        proxy: Proxy

        class Handler(_Handler):
            owner = property(lambda self: proxy)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        proxy = cls(server, target)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return proxy

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def release(self) -> None:
        """Let every held request go (it is then answered with a dropped connection)."""
        self.released.set()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read what they need from `Proxy.seen`."""

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy = self.owner
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with proxy.lock:
            proxy.seen.append((self.command, self.path))
            checking = self.path.endswith("/health")
            proxy.health_checks += checking
            flap_down = proxy.mode is Mode.FLAP and checking and proxy.health_checks % 2 == 0
        if proxy.mode is Mode.HANG:
            self._hang()
        elif flap_down:
            self._answer(400, {"code": "flapping", "message": "down this time"})
        elif proxy.mode is Mode.ECHO_AUTH:
            padding = "the header you sent was not accepted; " * 8
            self._answer(
                400,
                {"code": "bad_header", "message": padding + self.headers.get("Authorization", "")},
            )
        elif proxy.mode is Mode.DELETE_404 and self.command == "DELETE":
            self._answer(404, {"code": "not_found", "message": "no such component"})
        else:
            self._forward(body)

    def _hang(self) -> None:
        with self.owner.lock:
            self.owner.hanging += 1
        self.owner.released.wait()
        with self.owner.lock:
            self.owner.hanging -= 1
        self.close_connection = True
        self.connection.close()

    def _answer(self, status: int, document: dict[str, str]) -> None:
        content = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _forward(self, body: bytes) -> None:
        target = urlsplit(self.owner.target)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body or None, headers)
        answer = upstream.getresponse()
        content = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        upstream.close()
