"""One Core's HTTP connection: a request with its token, its retries, and its failures named.

`CoreConnection.request` sends one protocol request and answers the status and body of a 2xx, or
raises `CoreCallError` (drawn in `reconciler.errors`). It is the only place the
bearer token is put on the wire, the only place httpx exceptions are caught, and the only place
answer sizes are capped. Retries and holding off follow `policy`.

I/O module (HTTP).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import ssl
import stat
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from reconciler import __version__
from reconciler.decide.model import Core, Tls
from reconciler.decide.observed import Reason
from reconciler.errors import CoreCallError
from reconciler.shell.clock import Clock
from reconciler.shell.core import api
from reconciler.shell.core.policy import AuthGate, ClientSettings
from reconciler.shell.core.tokens import READ_SECONDS, Secret, TokenSource, TokenUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: its status and its body, not yet parsed."""

    status: int
    content: bytes


MAX_CA_BYTES = 1 << 20
"""A CA file larger than this is refused: it cannot be a CA bundle."""


class CoreConnection:
    """The HTTP side of one Core: token, hold-off state, retries, failure naming."""

    def __init__(
        self,
        core: Core,
        environ: Mapping[str, str],
        settings: ClientSettings,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        guard: Callable[[str], None] = lambda _what: None,
    ) -> None:
        """`guard` is called with what a write is right before each attempt of it goes out (a
        retry too), and raises to refuse it (`errors.LeaseLost`)."""
        self.name = core.name
        self._guard = guard
        self.settings = settings
        self._clock = clock
        self._token = TokenSource(core.token, environ, clock)
        self._gate = AuthGate(settings.auth, clock)
        self._draw: Callable[[], float] = random.random  # jitter, not security
        self._setup_error: CoreCallError | None = None
        secure = core.url.startswith("https://")
        self._ca_file = core.tls.ca_file if secure and core.tls.verify else None
        self._ca_loaded = False
        timeouts = settings.timeouts
        self._http = httpx.AsyncClient(
            base_url=core.url,
            verify=self._verify(core.tls) if secure else no_tls_context(),
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect, pool=timeouts.connect),
            limits=httpx.Limits(max_connections=settings.max_connections),
            headers={"Accept": "application/json", "User-Agent": f"reconciler/{__version__}"},
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, what: str, content: bytes | None = None
    ) -> Answer:
        """One request, retried while it fails transiently; `what` names it in messages."""
        policy = self.settings.retry
        tries = 1
        while True:
            try:
                return await self._attempt(method, path, what, content)
            except CoreCallError as error:
                if not api.is_retried(error.reason) or tries >= policy.attempts:
                    raise (self._after_tries(error, tries) if tries > 1 else error) from None
                delay = policy.delay(tries, self._draw)
                log.info(
                    "core %s: %s failed (%s); retry %d of %d in %.2f s",
                    *(self.name, what, error.reason.value, tries, policy.attempts - 1, delay),
                )
            await asyncio.sleep(delay)
            tries += 1

    @asynccontextmanager
    async def deadline(self, what: str, seconds: float | None = None) -> AsyncIterator[None]:
        """Bound one operation, retries included, by `seconds` (default: the operation timeout)."""
        seconds = self.settings.timeouts.operation if seconds is None else seconds
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError:
            message = f"core {self.name} did not finish {what} within {seconds:g} s"
            raise CoreCallError(Reason.TIMEOUT, message) from None

    def parsed(self, what: str, answer: Answer, parse: Callable[[object], T]) -> T:
        """`parse` applied to the answer's JSON; a bad answer is a BAD_RESPONSE error."""
        try:
            return parse(api.decode_json(answer.content))
        except api.BadResponse as error:
            message = self._token.redact(f"core {self.name} gave a bad answer to {what}: {error}")
            raise CoreCallError(Reason.BAD_RESPONSE, message, answer.status) from None

    async def _attempt(
        self, method: str, path: str, what: str, content: bytes | None, renew: bool = True
    ) -> Answer:
        """One request; a 401 to a token that its file has replaced since is sent again at
        once with the new token (`renew`: once), the way a rotation meets the client."""
        if self._setup_error is not None:
            raise self._setup_error
        if not self._ca_loaded:
            await self._load_ca()
        secret = await self._secret()
        generation = self._token.generation
        self._check_gate(what, generation)
        headers = {"Authorization": f"Bearer {secret.reveal()}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        if method != "GET":
            self._guard(f"core {self.name}: {what}")
        started = time.perf_counter()
        try:
            async with self._http.stream(
                method, path, content=content, headers=headers
            ) as response:
                body = self._token.redact_bytes(await self._read_body(response, what))
        except httpx.HTTPError as error:
            raise self._transport_error(error, what) from error
        elapsed = (time.perf_counter() - started) * 1000
        log.debug(
            "core %s: %s %s: %d in %.0f ms", self.name, method, path, response.status_code, elapsed
        )
        if response.is_success:
            self._gate.succeeded()
            self._token.accepted()
            return Answer(response.status_code, body)
        if response.status_code == 401 and renew and await self._renewed(generation):
            log.info(
                "core %s: its token file changed; %s sent again with the new token",
                *(self.name, what),
            )
            return await self._attempt(method, path, what, content, renew=False)
        raise self._refusal(response, body, what, generation)

    async def _renewed(self, refused: int) -> bool:
        """Whether the token now differs from the one of generation `refused` (a 401's)."""
        self._token.refused()
        try:
            await self._token.current()
        except TokenUnavailable:
            return False  # the next call names what is wrong with it
        return self._token.generation != refused

    async def _read_body(self, response: httpx.Response, what: str) -> bytes:
        limit = self.settings.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(what, response.status_code)
        content = bytearray()
        async for chunk in response.aiter_bytes():
            content += chunk
            if len(content) > limit:
                raise self._too_large(what, response.status_code)
        return bytes(content)

    async def _secret(self) -> Secret:
        try:
            return await self._token.current()
        except TokenUnavailable as error:
            message = f"no token for core {self.name}: {error}"
            raise CoreCallError(Reason.TOKEN_UNAVAILABLE, message) from None

    def _check_gate(self, what: str, generation: int) -> None:
        hold = self._gate.hold(generation)
        if hold is None:
            return
        until = hold.until.isoformat(timespec="seconds")
        if hold.reason is Reason.LOCKED_OUT:
            cause = "has locked this client out"
        else:
            cause = "refused the token; holding off"
        message = f"core {self.name} {cause} until {until}; {what} not sent"
        raise CoreCallError(hold.reason, message)

    # --- naming failures -----------------------------------------------------------------------

    def _refusal(
        self, response: httpx.Response, content: bytes, what: str, generation: int
    ) -> CoreCallError:
        status = response.status_code
        reason = api.reason_for_status(status)
        message = f"core {self.name} answered {what} with {status} ({api.parse_error(content)})"
        if reason is Reason.UNAUTHORIZED:
            hold = self._gate.unauthorized(generation)
        elif reason is Reason.LOCKED_OUT:
            wait = api.parse_retry_after(response.headers.get("retry-after"), self._clock())
            hold = self._gate.locked_out(wait)
        elif reason is Reason.BAD_RESPONSE:
            return CoreCallError(reason, f"core {self.name} answered {what} with {status}", status)
        else:
            return CoreCallError(reason, self._token.redact(message), status)
        message += f"; no calls to it until {hold.until.isoformat(timespec='seconds')}"
        log.warning("%s", self._token.redact(message))
        return CoreCallError(reason, self._token.redact(message), status)

    def _transport_error(self, error: httpx.HTTPError, what: str) -> CoreCallError:
        if isinstance(error, httpx.TimeoutException):
            phase = "connect" if isinstance(error, httpx.ConnectTimeout) else "answer"
            reason, detail = Reason.TIMEOUT, f"did not {phase} in time for {what}"
        elif (tls := _tls_failure(error)) is not None:
            reason, detail = Reason.TLS, f"failed TLS for {what} ({tls})"
        elif isinstance(error, httpx.DecodingError):
            reason, detail = Reason.BAD_RESPONSE, f"sent an undecodable answer to {what}"
        elif isinstance(error, httpx.RemoteProtocolError):
            reason, detail = Reason.UNREACHABLE, f"broke off the connection during {what}"
        else:
            cause = _root_cause(error)
            reason, detail = Reason.UNREACHABLE, f"could not be reached for {what} ({cause})"
        return CoreCallError(reason, self._token.redact(f"core {self.name} {detail}"))

    def _too_large(self, what: str, status: int) -> CoreCallError:
        limit = self.settings.max_response_bytes
        message = f"core {self.name} answered {what} with more than {limit} bytes"
        return CoreCallError(Reason.BAD_RESPONSE, message, status)

    def _after_tries(self, error: CoreCallError, tries: int) -> CoreCallError:
        return CoreCallError(error.reason, f"{error.message} (after {tries} tries)", error.status)

    def _verify(self, tls: Tls) -> ssl.SSLContext | bool:
        """Verification as the Core's file says; a CA file's certificates are loaded before the
        first request (`_load_ca`), off the event loop, into this context. Cores that trust the
        default authorities share one context: building one costs tens of milliseconds, which a
        fleet of hundreds of Cores would pay at every start. An `http://` Core has no TLS to
        verify and loads no authorities (`no_tls_context`)."""
        if not tls.verify:
            return False
        if tls.ca_file is None:
            return default_context()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # trusts nothing until loaded
        return self._context

    async def _load_ca(self) -> None:
        self._ca_loaded = True
        if self._ca_file is None:
            return
        try:
            async with asyncio.timeout(READ_SECONDS):
                cadata = await asyncio.to_thread(_read_ca, Path(self._ca_file))
            self._context.load_verify_locations(cadata=cadata)
        except (TimeoutError, OSError, ssl.SSLError, ValueError) as error:
            cause = "it took too long to read" if isinstance(error, TimeoutError) else str(error)
            message = f"core {self.name}: CA file {self._ca_file} cannot be used ({cause})"
            self._setup_error = CoreCallError(Reason.TLS, message)
            raise self._setup_error from None


def _tls_failure(error: BaseException) -> str | None:
    """The TLS problem behind `error` (certificate, handshake), if TLS is what failed."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) and not isinstance(seen, ssl.SSLEOFError):
            return getattr(seen, "verify_message", None) or seen.reason or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return None


def _root_cause(error: BaseException) -> str:
    while (inner := error.__cause__ or error.__context__) is not None:
        error = inner
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:200]


@functools.cache
def default_context() -> ssl.SSLContext:
    """The default authorities, as httpx trusts them (its certifi bundle), built once."""
    return httpx.create_ssl_context()


@functools.cache
def no_tls_context() -> ssl.SSLContext:
    """The context of the `http://` Cores, shared: it trusts no authority at all.

    Their client never makes a TLS connection (its base URL is `http://`, it follows no
    redirect); were one ever made, it would fail. httpx would otherwise build a context of its
    own for each client, a few milliseconds per Core.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _read_ca(path: Path) -> str:
    """A CA bundle's text; only a regular file, opened without blocking, and not too large."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("it is not a regular file")
        data = handle.read(MAX_CA_BYTES + 1)
    if len(data) > MAX_CA_BYTES:
        raise ValueError(f"it is larger than {MAX_CA_BYTES} bytes")
    return data.decode("ascii", errors="replace")
