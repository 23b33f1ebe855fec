"""Bearer-token authentication and the per-address lockout, as an ASGI middleware.

Every `/api/...` request needs `Authorization: Bearer <token>`, health included; `/admin/...`
requests need the admin token, and answer 404 when no admin token is configured (the fault
routes then do not exist). A token file holds the token as plain text or in PADAS's JSON form
`{"token": "...", "expires_at": "<ISO 8601>"}`; an expired token is refused like a wrong one.
The file is read again when it changes, so a token can be rotated without a restart.

Repeated failures from one address lock it out, as the real Core does: `threshold` failures
within `seconds` make every request from that address answer 429 with `Retry-After` for the next
`seconds`, even with a good token. A success clears the address's failures.

Tokens never appear in logs or error messages. I/O module (reads token files; the clock).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.refcore.errors import ApiError, ErrorCode, not_found

log = logging.getLogger("reconciler.refcore.auth")


class TokenFileError(Exception):
    """A token file that cannot be used; the message names the file, never its content."""


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def parse_token(text: str, source: str) -> Token:
    """The token a token file's `text` holds; `source` names the file in errors."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        if not stripped or any(char.isspace() for char in stripped):
            raise TokenFileError(f"token file {source} must hold one token without spaces")
        return Token(stripped)
    try:
        loaded = json.loads(stripped)
    except ValueError as error:
        raise TokenFileError(f"token file {source} holds malformed JSON") from error
    value = loaded.get("token") if isinstance(loaded, dict) else None
    if not isinstance(value, str) or not value:
        raise TokenFileError(f"token file {source} must have a non-empty string 'token'")
    return Token(value, _expiry(loaded.get("expires_at"), source))


def _expiry(value: object, source: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise TokenFileError(f"token file {source} has an invalid 'expires_at'") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class TokenFile:
    """A token file, re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._token = self._read()

    def current(self) -> Token:
        try:
            self._read_if_changed()
        except (OSError, TokenFileError) as error:
            log.warning("keeping the previous token: %s", error)
        return self._token

    def _read_if_changed(self) -> None:
        status = self.path.stat()
        if (status.st_mtime_ns, status.st_size) != self._seen:
            self._token = self._read()

    def _read(self) -> Token:
        try:
            status = self.path.stat()
            token = parse_token(self.path.read_text(encoding="utf-8"), str(self.path))
        except (OSError, UnicodeDecodeError) as error:
            raise TokenFileError(f"token file {self.path} cannot be read: {error}") from error
        self._seen = (status.st_mtime_ns, status.st_size)
        return token


class Lockout:
    """Failures per client address, and the addresses locked out until when."""

    def __init__(
        self, threshold: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.seconds = seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it is not locked out."""
        until = self._locked_until.get(address)
        if until is None:
            return None
        left = until - self.clock()
        if left <= 0:
            del self._locked_until[address]
            return None
        return max(1, math.ceil(left))

    def failed(self, address: str) -> None:
        now = self.clock()
        failures = self._failures.setdefault(address, deque())
        failures.append(now)
        while failures and failures[0] <= now - self.seconds:
            failures.popleft()
        if len(failures) >= self.threshold:
            self._locked_until[address] = now + self.seconds
            del self._failures[address]
            log.warning(
                "address %s locked out for %s s after repeated failures", address, self.seconds
            )

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


def bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            return credentials.strip() if scheme.lower() == "bearer" else None
    return None


class Guard:
    """The authentication middleware in front of every route."""

    def __init__(
        self,
        app: ASGIApp,
        api_token: TokenFile,
        admin_token: TokenFile | None,
        lockout: Lockout,
    ) -> None:
        self.app = app
        self.api_token = api_token
        self.admin_token = admin_token
        self.lockout = lockout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        response = JSONResponse(refusal.body(), refusal.status, refusal.headers)
        await response(scope, receive, send)

    def _refusal(self, scope: Scope) -> ApiError | None:
        path: str = scope["path"]
        token_file = self.api_token
        if path == "/admin" or path.startswith("/admin/"):
            if self.admin_token is None:
                return not_found(f"route {path}")
            token_file = self.admin_token
        address = scope["client"][0] if scope.get("client") else "unknown"
        retry_after = self.lockout.retry_after(address)
        if retry_after is not None:
            message = f"address {address} is locked out after repeated authentication failures"
            headers = {"Retry-After": str(retry_after)}
            return ApiError(429, ErrorCode.LOCKED_OUT, message, headers)
        reason = _check(bearer(scope), token_file.current())
        if reason is None:
            self.lockout.succeeded(address)
            return None
        self.lockout.failed(address)
        headers = {"WWW-Authenticate": 'Bearer realm="core"'}
        return ApiError(401, ErrorCode.UNAUTHORIZED, reason, headers)


def _check(presented: str | None, token: Token) -> str | None:
    if presented is None:
        return "the request needs an 'Authorization: Bearer <token>' header"
    if not hmac.compare_digest(presented.encode(), token.value.encode()):
        return "the bearer token is not valid"
    if token.expired(datetime.now(UTC)):
        return "the bearer token has expired"
    return None
