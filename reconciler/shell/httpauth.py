"""Who may read the daemon's pages and endpoints: credentials from the operator's file.

`--http-auth-file FILE` (or `RECONCILER_HTTP_AUTH_FILE`) names a file of credentials, one a
line, blank lines and `#` comments ignored:

    bearer 4Lq0Dz9vS3…          an `Authorization: Bearer …` token (scripts, a proxy in front)
    basic oncall:correct-horse   a user and password for HTTP basic auth (people in a browser)

Several lines let credentials be rotated without a gap. With the file, every route but the
probes (`/healthz`, `/readyz`) and the webhook (which has its own signature) asks for one of
them; without it nothing does, which is meant for the loopback default (the daemon says so in
its log when it listens elsewhere without one). A line that is neither form stops the start,
naming the file and the line number, never its content; credentials are compared in constant
time and never logged. I/O module (reads the file).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import ConfigurationError

MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class HttpAuth:
    """The credentials the daemon's HTTP routes accept (never printed)."""

    bearer: tuple[str, ...] = field(default=(), repr=False)
    basic: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def challenge(self) -> str:
        """The `WWW-Authenticate` header of a 401: basic when people may log in."""
        if self.basic:
            return 'Basic realm="reconciler", charset="UTF-8"'
        return 'Bearer realm="reconciler"'

    def allows(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries one of the credentials."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer":
            return _any_equal(value, self.bearer)
        if scheme.lower() == "basic":
            pair = _basic_pair(value)
            return pair is not None and _any_equal(
                f"{pair[0]}:{pair[1]}", tuple(f"{u}:{p}" for u, p in self.basic)
            )
        return False


def _any_equal(given: str, accepted: tuple[str, ...]) -> bool:
    found = False
    for candidate in accepted:  # every candidate is compared, so timing says nothing
        found |= hmac.compare_digest(given.encode(), candidate.encode())
    return found and bool(given)


def _basic_pair(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def read_auth_file(path: str, named: str) -> HttpAuth:
    """The credentials in `path`; `named` says how it was given (the flag or the variable)."""
    where = f"http auth file {path} ({named})"
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise ConfigurationError(f"{where} cannot be read: {error.strerror or error}") from error
    if len(raw) > MAX_BYTES:
        raise ConfigurationError(f"{where} is larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError(f"{where} is not UTF-8 text") from error
    return _parsed(text, where)


def _parsed(text: str, where: str) -> HttpAuth:
    bearer: list[str] = []
    basic: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        scheme, _, value = stripped.partition(" ")
        value = value.strip()
        user, colon, password = value.partition(":")
        if scheme.lower() == "bearer" and value and " " not in value:
            bearer.append(value)
        elif scheme.lower() == "basic" and colon and user and password:
            basic.append((user, password))
        else:
            raise ConfigurationError(
                f'{where} line {number}: expected "bearer TOKEN" or "basic USER:PASSWORD"'
            )
    if not bearer and not basic:
        raise ConfigurationError(f"{where} holds no credentials")
    return HttpAuth(tuple(bearer), tuple(basic))


VARIABLE = "RECONCILER_HTTP_AUTH_FILE"


def auth_file_of(flag: str | None, environ: Mapping[str, str]) -> str | None:
    """The auth file's path: `--http-auth-file`, else `RECONCILER_HTTP_AUTH_FILE`, else None."""
    return flag if flag is not None else environ.get(VARIABLE)


def http_auth(flag: str | None, environ: Mapping[str, str]) -> HttpAuth | None:
    """The credentials the operator gave, or None when no auth file is named."""
    path = auth_file_of(flag, environ)
    if path is None:
        return None
    named = "--http-auth-file" if flag is not None else VARIABLE
    if not path.strip():
        raise ConfigurationError(f"{named} is empty: give the path of the http auth file")
    return read_auth_file(path, named)
