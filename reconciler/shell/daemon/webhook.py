"""`POST /webhook`: a signed "go and fetch now", in the forms GitHub, GitLab and Gitea send.

Each host proves a delivery its own way, and any of them is accepted:

    GitHub, Forgejo  `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body
    Gitea            `X-Gitea-Signature: <hex>`: the same HMAC, without the prefix
    GitLab           `X-Gitlab-Token: <secret>`: the shared secret itself

A delivery whose event header says a pull request moved (`X-GitHub-Event: pull_request`,
`X-Gitea-Event: pull_request`, `X-Gitlab-Event: Merge Request Hook`) also asks for a look at
the open pull requests (`pulls.PullWatcher`). The body is hashed as it streams in, never stored, and
refused past `MAX_BODY_BYTES` (GitHub's own cap on a delivery), so a large or endless body costs
no memory; a body that has not arrived in full within `BODY_DEADLINE` is refused too, so a sender
that stalls or trickles holds a connection no longer than that. The signature is compared in
constant time. Nothing in the payload is read: a valid delivery only means "fetch now", whatever
it claims about branches or commits.

Answers: 202 accepted; 401 when the signature is missing or wrong; 413 when the body is too
large; 408 when it is too slow (the connection is closed); 400 when the sender hung up before
the end of it; 404 when the daemon has no webhook secret (the route is off). Every answer but
202 is counted as a refused delivery.

I/O module (HTTP).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable, Mapping

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

MAX_BODY_BYTES = 25 << 20
BODY_DEADLINE = 10.0
"""Seconds from the headers to the last byte of the body. A deadline on the whole body rather
than on each pause, so that a byte every few seconds cannot hold the connection either; and 10 s
because that is all GitHub gives a delivery end to end, so no genuine sender needs longer."""
HEADER = "x-hub-signature-256"
GITEA_HEADER = "x-gitea-signature"
GITLAB_HEADER = "x-gitlab-token"
PREFIX = "sha256="
PULL_EVENTS = {
    "x-github-event": "pull_request",
    "x-gitea-event": "pull_request",
    "x-gitlab-event": "Merge Request Hook",
}


def signature(secret: str, body: bytes) -> str:
    """The header value a sender puts on `body` (for senders and tests)."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def matches(header: str | None, expected_hex: str) -> bool:
    """Whether a header carries the expected digest; constant time in the digest."""
    if header is None or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(header[len(PREFIX) :].strip().lower(), expected_hex)


def genuine(headers: Mapping[str, str], secret: str, digest: str) -> bool:
    """Whether any host's proof on a delivery is right; each compared in constant time."""
    if matches(headers.get(HEADER), digest):
        return True
    gitea = headers.get(GITEA_HEADER)
    if gitea is not None and hmac.compare_digest(gitea.strip().lower(), digest):
        return True
    gitlab = headers.get(GITLAB_HEADER)
    return gitlab is not None and hmac.compare_digest(gitlab.encode(), secret.encode())


def about_pulls(headers: Mapping[str, str]) -> bool:
    """Whether a delivery says a pull (merge) request moved."""
    return any(headers.get(name) == event for name, event in PULL_EVENTS.items())


async def receive(
    request: Request, secret: str | None, fetch_now: Callable[[bool], None]
) -> JSONResponse:
    """Check one delivery and, when it is genuine, ask for a fetch."""
    if secret is None:
        return _answer(404, "the webhook is off: start the daemon with --webhook-secret-file")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _answer(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        async with asyncio.timeout(BODY_DEADLINE):
            digest = await _digest(request, secret)
    except TimeoutError:
        message = f"the body did not arrive within {BODY_DEADLINE:g} s"
        return _answer(408, message, headers={"connection": "close"})
    except ClientDisconnect:
        return _answer(400, "the sender hung up before the end of the body")
    if digest is None:
        return _answer(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    if not genuine(request.headers, secret, digest):
        return _answer(
            401, "missing or wrong X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token"
        )
    fetch_now(about_pulls(request.headers))
    return JSONResponse({"status": "accepted", "detail": "a fetch is scheduled"}, 202)


async def _digest(request: Request, secret: str) -> str | None:
    """The HMAC of the body as it streams in; None once it grows past `MAX_BODY_BYTES`."""
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        mac.update(chunk)
    return mac.hexdigest()


def _answer(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": "refused", "detail": message}, status, headers=headers)
