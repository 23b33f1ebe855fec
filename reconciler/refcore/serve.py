"""`reconciler core serve`: settings for one reference Core, and running it under uvicorn.

Start-up, in order: make the data directory; use the token file given, or generate a random token
into `<data-dir>/token` (mode 0600, kept across restarts) and log its path, never the token;
load the registry (a registry file that cannot be read stops the start with a sentence naming
it); serve on `host:port`, over TLS when a certificate and key are given. SIGTERM and Ctrl-C
stop every component and exit cleanly. Logs go to standard error, one line per event.

I/O module (files, sockets, the process).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from reconciler import __version__
from reconciler.refcore.app import build_app
from reconciler.refcore.auth import Lockout, TokenFile, TokenFileError
from reconciler.refcore.engine import Engine
from reconciler.refcore.registry import Registry, RegistryFileError
from reconciler.refcore.runtime import Runtime
from reconciler.refcore.specs import NAME

log = logging.getLogger("reconciler.refcore")


class StartupError(Exception):
    """The Core cannot start; the message names the flag or file a person must fix."""


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """Everything `core serve` takes, built once from the flags."""

    name: str
    port: int
    host: str = "127.0.0.1"
    data_dir: Path | None = None
    """Registry files and relative connector paths live here; default ./core-data/<name>."""
    token_file: Path | None = None
    """Plain token or PADAS JSON form; when absent a token is generated into the data dir."""
    admin_token_file: Path | None = None
    """Enables the /admin/v1 fault routes; they answer 404 without it."""
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    lockout_threshold: int = 5
    lockout_seconds: float = 60.0
    stream_capacity: int = 1024
    """Events a stream holds for its slowest reader before backpressure applies."""
    stream_timeout_ms: int = 1000
    """How long a publish into a full `timeout` stream waits before dropping."""
    log_level: str = "info"
    persist: bool = True
    """Write the registry to the data directory on every change (False: in memory only)."""

    @property
    def data_path(self) -> Path:
        return self.data_dir or Path("core-data") / self.name


def serve(settings: ServeSettings) -> None:
    """Run one Core until it is told to stop; raises StartupError when it cannot start."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    config = uvicorn.Config(
        prepare(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.tls_cert_file,
        ssl_keyfile=settings.tls_key_file,
        log_config=None,
        log_level=settings.log_level,
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    scheme = "https" if settings.tls_cert_file else "http"
    log.info("core %r serving on %s://%s:%d", settings.name, scheme, settings.host, settings.port)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it to the handler found at start:
    # this one turns it into a normal exit (status 0) instead of death by signal.
    signal.signal(signal.SIGTERM, _exit_normally)
    uvicorn.Server(config).run()


def _exit_normally(signum: int, frame: object) -> None:
    raise SystemExit(0)


class OneLineFormatter(logging.Formatter):
    """One line per event, tracebacks included, so logs stay greppable and parseable."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


def prepare(settings: ServeSettings) -> Starlette:
    """The ASGI app for `settings`, with its data directory and token files in place."""
    if not NAME.match(settings.name):
        raise StartupError(f"--name {settings.name!r} must match {NAME.pattern}")
    if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
        raise StartupError("--tls-cert-file and --tls-key-file must be given together")
    data_dir = settings.data_path.resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        token_path = settings.token_file or generated_token(data_dir)
        api_token = TokenFile(token_path)
        admin_token = TokenFile(settings.admin_token_file) if settings.admin_token_file else None
        registry = Registry.load(data_dir, settings.persist)
    except (OSError, TokenFileError, RegistryFileError) as error:
        raise StartupError(str(error)) from error
    log.info("core %r: data directory %s, token file %s", settings.name, data_dir, token_path)
    runtime = Runtime(settings.stream_capacity, settings.stream_timeout_ms / 1000)
    engine = Engine(settings.name, f"refcore-{__version__}", registry, runtime)
    lockout = Lockout(settings.lockout_threshold, settings.lockout_seconds)
    return build_app(engine, api_token, admin_token, lockout)


def generated_token(data_dir: Path) -> Path:
    """`<data_dir>/token`, written with a new random token (mode 0600) unless it exists."""
    path = data_dir / "token"
    if path.exists():
        return path
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path
