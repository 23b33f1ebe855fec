"""A Core's bearer token, read from where its `SecretRef` points, and kept out of sight.

`{env: VAR}` is looked up in the environment mapping the program built once (nothing here reads
`os.environ`). `{file: PATH}` holds the token as plain text or in PADAS's JSON form
`{"token": "...", "expires_at": "<ISO 8601>"}`; the file is read again when its modification time
or size changes, so a rotated token is picked up without a restart. The file is checked at most
once every `FRESH_SECONDS`, and on every call after the Core refused the token until one is
accepted: checking it for every call cost a thread and a `stat` per request, about a sixth of a
write's cost. So a Core that switched to a rotated token first meets the old one, answers 401,
and the client, finding the file changed, sends the call again at once with the new one
(`reconciler.shell.core.connection`). A token that is missing,
empty, expired or not usable in an HTTP header raises `TokenUnavailable`, whose message names the
variable or file and never the content. Which variables and folders a Core file may name at all
is the operator's `TokenPolicy` (`reconciler.decide.model`), checked when the state is parsed.

A token file is read off the event loop, in a worker thread, and only when it is a regular file:
it is opened without blocking (a FIFO or a device never holds the read up), at most
`MAX_TOKEN_FILE_BYTES` are read, and a read that takes longer than `READ_SECONDS` (a hung
network file system) fails with `TokenUnavailable` while the loop goes on.

The token itself is a `Secret`: its `str` and `repr` are redacted, so logging or formatting one
by mistake shows nothing. Only the client calls `reveal()`, to build the header.

I/O module (reads token files).
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from reconciler.decide.model import SecretRef

MAX_TOKEN_FILE_BYTES: Final = 64 * 1024
"""A token file larger than this is refused rather than read: it cannot be a token file."""

FRESH_SECONDS: Final = 1.0
"""How long a token file's check holds: within it, calls send the token read then."""

READ_SECONDS: Final = 2.0
"""How long reading a token file may take before the call fails (the read goes on in its thread)."""

_HEADER_SAFE: Final = frozenset(chr(code) for code in range(0x21, 0x7F))


class TokenUnavailable(Exception):
    """No usable token right now; the message names where it was looked for."""


class Secret:
    """A string that never shows itself in logs, reprs or messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class _FileToken:
    secret: Secret
    expires_at: datetime | None
    stamp: tuple[int, int]


class TokenSource:
    """Where one Core's token comes from; `current()` answers the token to send now."""

    def __init__(
        self,
        ref: SecretRef,
        environ: Mapping[str, str],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` tells whether a token expired; `monotonic` when a file was last checked."""
        self.ref = ref
        self._environ = environ
        self._clock = clock
        self._monotonic = monotonic
        self._cached: _FileToken | None = None
        self._checked_at = 0.0
        self._refused = False
        self._generation = 0
        self._last: Secret | None = None

    @property
    def generation(self) -> int:
        """Grows each time the token read differs from the one before (a rotation)."""
        return self._generation

    async def current(self) -> Secret:
        """The token to send; raises TokenUnavailable when there is none to send."""
        secret = self._from_env() if self.ref.env is not None else await self._from_file()
        if secret != self._last:
            self._last = secret
            self._generation += 1
        return secret

    def refused(self) -> None:
        """The Core refused the token: the file is checked on every call until one is accepted."""
        self._refused = True

    def accepted(self) -> None:
        """The Core accepted the token."""
        self._refused = False

    def redact(self, text: str) -> str:
        """`text` with the last token read blotted out: for any text a Core's answer went into."""
        for form in self._forms():
            text = text.replace(form, "***")
        return text

    def redact_bytes(self, content: bytes) -> bytes:
        """A Core's raw answer with the token blotted out, before anything reads or clips it."""
        for form in self._forms():
            content = content.replace(form.encode(), b"***")
        return content

    def _forms(self) -> tuple[str, ...]:
        """The token as it may appear: as sent, and as JSON strings escape it."""
        if self._last is None:
            return ()
        token = self._last.reveal()
        escaped = json.dumps(token)[1:-1]
        return tuple(dict.fromkeys((token, escaped, escaped.replace("/", "\\/"))))

    def _from_env(self) -> Secret:
        variable = self.ref.env
        value = self._environ.get(variable or "")
        if value is None:
            raise TokenUnavailable(f"environment variable {variable} is not set")
        return _checked(value.strip(), f"environment variable {variable}")

    async def _from_file(self) -> Secret:
        path = Path(self.ref.file or "")
        now, cached = self._monotonic(), self._cached
        try:
            if cached is None or self._refused or now - self._checked_at >= FRESH_SECONDS:
                async with asyncio.timeout(READ_SECONDS):
                    cached = await asyncio.to_thread(_fresh, path, cached)
                self._cached, self._checked_at = cached, now
        except TimeoutError:
            raise TokenUnavailable(
                f"token file {path} took longer than {READ_SECONDS:g} s to read"
            ) from None
        except OSError as error:
            raise TokenUnavailable(
                f"token file {path} cannot be read ({error.strerror or type(error).__name__})"
            ) from None
        expires_at = cached.expires_at
        if expires_at is not None and self._clock() >= expires_at:
            raise TokenUnavailable(f"the token in file {path} expired at {expires_at.isoformat()}")
        return cached.secret


def _fresh(path: Path, cached: _FileToken | None) -> _FileToken:
    """The file's token: the cached one while the file is unchanged, else read anew."""
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise TokenUnavailable(f"token file {path} is not a regular file")
    stamp = (status.st_mtime_ns, status.st_size)
    if cached is not None and cached.stamp == stamp:
        return cached
    return _read_file(path, stamp)


def _read_file(path: Path, stamp: tuple[int, int]) -> _FileToken:
    if stamp[1] > MAX_TOKEN_FILE_BYTES:
        raise TokenUnavailable(f"token file {path} is larger than {MAX_TOKEN_FILE_BYTES} bytes")
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise TokenUnavailable(f"token file {path} is not a regular file")
        raw = handle.read(MAX_TOKEN_FILE_BYTES + 1)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise TokenUnavailable(f"token file {path} is not UTF-8 text") from None
    where = f"token file {path}"
    if not text.startswith("{"):
        return _FileToken(_checked(text, where), None, stamp)
    token, expires_at = _parse_json_form(text, where)
    return _FileToken(_checked(token, where), expires_at, stamp)


def _parse_json_form(text: str, where: str) -> tuple[str, datetime | None]:
    # `from None` throughout: a JSON error keeps the whole document (the token) on the exception
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise TokenUnavailable(f"{where} starts with '{{' but is not valid JSON") from None
    token = document.get("token") if isinstance(document, dict) else None
    if not isinstance(token, str):
        raise TokenUnavailable(f"{where} has no string field 'token'")
    expires = document.get("expires_at")
    if expires is None:
        return token, None
    try:
        moment = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    except ValueError:
        raise TokenUnavailable(
            f"{where} has an 'expires_at' that is not an ISO 8601 time"
        ) from None
    return token, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _checked(value: str, where: str) -> Secret:
    if not value:
        raise TokenUnavailable(f"{where} is empty")
    if not set(value) <= _HEADER_SAFE:
        raise TokenUnavailable(f"{where} holds spaces or characters an HTTP header cannot carry")
    return Secret(value)
