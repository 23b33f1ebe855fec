"""A real Git server over HTTP for tests: git's own `http-backend` behind Basic auth on loopback.

    with GitHttpServer(tmp_path / "served", "reconciler", "secret") as server:
        url = server.url("pipelines.git", password="secret")   # http://reconciler:secret@…
        ...                                                     # clone, fetch, push through it
        server.requests                                         # what it was asked, in order

Every request without the right `Authorization: Basic` header is answered 401 with a challenge,
as a Git host does, so git has to find the credentials itself. Authenticated requests run
`git http-backend` as a CGI program (fetch and push both work: REMOTE_USER is set). `on_request`
is called on the server thread while git waits for the answer, which lets a test look at the
client's processes while they are certainly alive. `redirect_to` turns the server into one that
sends every request elsewhere (a 302), for tests of where credentials may go.
"""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlsplit

BACKEND_HEADERS = {"content-type": "CONTENT_TYPE", "content-encoding": "HTTP_CONTENT_ENCODING"}


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the server answered: the path, whether it was let in, the header sent."""

    method: str
    path: str
    authorized: bool
    authorization: str | None


@dataclass
class GitHttpServer:
    root: Path
    username: str
    password: str
    on_request: Callable[[Seen], None] | None = None
    redirect_to: str | None = None
    requests: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def __enter__(self) -> GitHttpServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def address(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def url(self, repo: str, username: str | None = None, password: str | None = None) -> str:
        """`http://[user[:password]@]127.0.0.1:PORT/repo`, the parts percent-encoded."""
        user = quote(username or self.username, safe="")
        userinfo = f"{user}:{quote(password, safe='')}@" if password is not None else ""
        userinfo = userinfo or (f"{user}@" if username is not None else "")
        return f"http://{userinfo}{self.address}/{repo}"

    def authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"


def _handler_for(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.answer(b"")

        def do_POST(self) -> None:
            self.answer(self.body())

        def body(self) -> bytes:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                return self.chunked()
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def chunked(self) -> bytes:
            data = b""
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data

        def answer(self, body: bytes) -> None:
            header = self.headers.get("authorization")
            seen = Seen(self.command, self.path, server.authorized(header), header)
            server.requests.append(seen)
            if server.on_request is not None:
                server.on_request(seen)
            if server.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", server.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif not seen.authorized:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.backend(body)

        def backend(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            env = {
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": server.username,
                "REMOTE_ADDR": "127.0.0.1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_LENGTH": str(len(body)),
                "GIT_PROTOCOL": self.headers.get("git-protocol", ""),
                "PATH": "/usr/bin:/bin",
            }
            for name, variable in BACKEND_HEADERS.items():
                if self.headers.get(name):
                    env[variable] = self.headers[name]
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = [line.split(":", 1) for line in lines if ":" in line]
            status = next((value for name, value in fields if name.lower() == "status"), "200")
            self.send_response(int(status.split()[0]))
            for name, value in fields:
                if name.lower() != "status":
                    self.send_header(name, value.strip())
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads `server.requests` instead."""

    return Handler
