"""Who may read the daemon's HTTP routes, and what a browser may do with the answers.

`Guard` wraps the whole app (pure ASGI, so live streams pass through unbuffered):

- **Credentials.** With `--http-auth-file` (`shell.httpauth`), every route but the probes
  (`/healthz`, `/readyz`) and the webhook (signed on its own) answers 401 without one of its
  credentials, with a challenge a browser understands when basic auth is offered.
- **Loopback hosts.** On a loopback address (the default), the pages answer only requests whose
  `Host` is a loopback name or address, so a web site cannot read them through DNS rebinding.
  A proxy on the same host must pass a loopback `Host` (nginx's default `$proxy_host` does).
  The machine endpoints (`/healthz`, `/readyz`, `/metrics`, `/api/status`, `/webhook`) keep
  answering whatever the `Host`.
- **Headers on every answer.** A strict Content-Security-Policy (only this origin's style sheet,
  script, icon, fetches and streams; no inline script or style; no framing; forms post nowhere
  else), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.

I/O module (HTTP, logging).
"""

from __future__ import annotations

import ipaddress
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.shell.config import listen_address
from reconciler.shell.httpauth import HttpAuth

log = logging.getLogger(__name__)
OPEN = frozenset({"/healthz", "/readyz", "/webhook"})
"""Routes that never ask for credentials."""
MACHINE = OPEN | {"/metrics", "/api/status"}
"""Routes for machines: they answer whatever the `Host` header says."""
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = (
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def loopback(host: str) -> bool:
    """Whether `host` (a name or an address, without a port) is this machine's loopback."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listens_on_loopback(listen: str) -> bool:
    """Whether `--listen HOST:PORT` is a loopback address (a wildcard is not)."""
    return loopback(listen_address(listen)[0])


def warn_if_open(listen: str, auth: HttpAuth | None) -> None:
    """Say in the log when anyone who reaches the daemon can read it."""
    if auth is None and not listens_on_loopback(listen):
        log.warning(
            "--listen %s is not a loopback address and no --http-auth-file is given: anyone "
            "who reaches it can read the pages, /api/status and /metrics",
            listen,
        )


def host_of(header: str) -> str:
    """The host part of a `Host` header: `[::1]:9400` is `::1`, `localhost:9400` `localhost`."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, auth: HttpAuth | None, on_loopback: bool) -> None:
        self.app = app
        self.auth = auth
        self.on_loopback = on_loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        headers = {key.lower(): value for key, value in scope.get("headers", [])}
        path = scope.get("path", "")
        if self.auth is not None and path not in OPEN:
            given = headers.get(b"authorization", b"").decode("latin-1")
            if not self.auth.allows(given):
                await _refuse(with_headers, 401, "credentials required\n", self.auth.challenge)
                return
        if self.on_loopback and path not in MACHINE:
            host = host_of(headers.get(b"host", b"").decode("latin-1"))
            if not loopback(host):
                await _refuse(with_headers, 421, "this page answers only at a loopback address\n")
                return
        await self.app(scope, receive, with_headers)


async def _refuse(send: Send, status: int, text: str, challenge: str | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]
    if challenge is not None:
        headers.append((b"www-authenticate", challenge.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode()})
