"""`POST /webhook`: a signed "go and fetch now", in the form GitHub, Gitea and others send.

The sender signs the raw body with HMAC-SHA256 under the shared secret and sends
`X-Hub-Signature-256: sha256=<hex>`. The body is hashed as it streams in, never stored, and
refused past `MAX_BODY_BYTES` (GitHub's own cap on a delivery), so a large or endless body costs
no memory. The signature is compared in constant time. Nothing in the payload is read: a valid
delivery only means "fetch now", whatever it claims about branches or commits.

Answers: 202 accepted; 401 when the signature is missing or wrong; 413 when the body is too
large; 404 when the daemon has no webhook secret (the route is off).

I/O module (HTTP).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_BODY_BYTES = 25 << 20
HEADER = "x-hub-signature-256"
PREFIX = "sha256="


def signature(secret: str, body: bytes) -> str:
    """The header value a sender puts on `body` (for senders and tests)."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def matches(header: str | None, expected_hex: str) -> bool:
    """Whether a header carries the expected digest; constant time in the digest."""
    if header is None or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(header[len(PREFIX) :].strip().lower(), expected_hex)


async def receive(
    request: Request, secret: str | None, fetch_now: Callable[[], None]
) -> JSONResponse:
    """Check one delivery and, when it is genuine, ask for a fetch."""
    if secret is None:
        return _answer(404, "the webhook is off: start the daemon with --webhook-secret-file")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _answer(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return _answer(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        mac.update(chunk)
    if not matches(request.headers.get(HEADER), mac.hexdigest()):
        return _answer(401, "missing or wrong X-Hub-Signature-256")
    fetch_now()
    return JSONResponse({"status": "accepted", "detail": "a fetch is scheduled"}, 202)


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "refused", "detail": message}, status)
