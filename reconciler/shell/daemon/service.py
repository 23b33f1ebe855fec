"""The daemon (SPEC §7): `Reconciler` passes on every trigger, readbacks on a schedule, HTTP.

One event loop runs it all, as tasks of one task group:

- the worker: waits for a wake (`triggers.Wakeup`), then `Reconciler.poll()`: fetch, and a whole
  pass when the source moved past what the last pass left or a request is unfinished. Triggers
  that arrive during a pass make one more pass after it (coalescing).
- the readback loop: on its own schedule, `Reconciler.refresh()` reads back every Core and
  rewrites rows, report and metrics without a fetch. A tick that finds a pass running waits
  for it, and is skipped when that pass read the Cores back on its own.
- APScheduler's AsyncIOScheduler raises both on their intervals; its jobs only set a flag, so
  they never overlap and never pile up.
- the ref watcher for a local SOURCE (`triggers.watch_refs`): a push is seen within a second.
- uvicorn serving `endpoints` and the live pages (`pages`, fed by their pass listener) behind
  `access.Guard`, on a socket this module binds itself (so a taken port is a clear
  configuration error, not an exit from inside uvicorn), with uvicorn's signal handling off.

Failures. A Git source that cannot be fetched or pushed to is retried with backoff (1 s doubling
to `MAX_BACKOFF`), logged, counted (`reconciler_source_errors_total`, `reconciler_source_up`) and
shown by `/readyz`; it is never fatal. A rejected report push follows `PushRejections` (shared
with `once`): answered at once by a pass on the new head, and a source failure when it repeats.
Any other error in a pass is logged with its traceback and retried with the same backoff. A
Core that is down costs only its own readback timeout.

What happens is told to the pass listeners (`reconciler.shell.listeners`); the metrics behind
`/metrics` are the first of them. With `--forge`, the Git host's outbox and pull request
watcher (`gitforge`) run as two more tasks, and their state is in `/readyz`.

SIGTERM and SIGINT: the Core call in flight finishes, the deployer records it and skips the rest
(the run resumes on the next start), then every task ends and the process exits 0.

I/O module (signals, sockets, the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from reconciler.errors import ConfigurationError, LeaseLost, SourceUnavailable
from reconciler.shell.clock import utc_now
from reconciler.shell.config import Config, listen_address
from reconciler.shell.daemon.access import Guard, listens_on_loopback, warn_if_open
from reconciler.shell.daemon.endpoints import build_app
from reconciler.shell.daemon.gitforge import GitHost
from reconciler.shell.daemon.metrics import Metrics
from reconciler.shell.daemon.pages.feed import PageFeed
from reconciler.shell.daemon.pages.routes import page_routes
from reconciler.shell.daemon.triggers import Wakeup, watch_refs
from reconciler.shell.listeners import (
    Leadership,
    Listeners,
    PassEvent,
    PassFailed,
    PassFinished,
    PassStarted,
    ReadbackRefreshed,
    Readiness,
    ShardLease,
    SourceAnswered,
    SourceFailed,
    Stopping,
    Triggered,
    WebhookReceived,
)
from reconciler.shell.reconcile import PassResult, Reconciler
from reconciler.shell.repo.naming import local_path
from reconciler.shell.repo.reportwriter import PushRejections
from reconciler.shell.session import session

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0


def bind(listen: str) -> socket.socket:
    """A listening socket for `--listen`; a taken or bad address is a ConfigurationError."""
    host, port = listen_address(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise ConfigurationError(f"--listen {listen}: {error.strerror or error}") from error
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(config: Config, on_ready: Callable[[str], None] | None = None) -> int:
    """Run the daemon until SIGTERM or SIGINT; `on_ready` hears its URL after the first pass."""
    metrics = Metrics()
    listeners = Listeners(metrics)
    with contextlib.closing(bind(config.listen)) as sock:  # a bad --listen creates nothing
        async with session(config, listeners) as reconciler:
            url = url_of(sock)
            log.info("listening on %s (/healthz /readyz /metrics /api/status /webhook)", url)
            log.info("live pages at %s/", url)
            warn_if_open(config.listen, config.http_auth)
            pages = PageFeed(lambda: reconciler.judged)
            listeners.add(pages)
            host = GitHost.build(config, reconciler, listeners) if config.forge else None
            daemon = Daemon(config, reconciler, sock, metrics, pages, host=host)
            listeners.add(_WakeOnLease(daemon.wakeup))
            if reconciler.replica is not None and reconciler.replica.held():
                listeners.heard(Leadership(True, reconciler.replica.epoch))
            if on_ready is not None:
                daemon.on_ready = lambda: on_ready(url)
            await daemon.run()
    log.info("stopped")
    return 0


class _WakeOnLease:
    """A replica that takes its lease (or a shard's) runs a pass at once: the takeover resumes
    the run."""

    def __init__(self, wakeup: Wakeup) -> None:
        self.wakeup = wakeup

    def heard(self, event: PassEvent) -> None:
        if isinstance(event, Leadership) and event.active:
            self.wakeup.fire("lease")
        if isinstance(event, ShardLease) and event.held:
            self.wakeup.fire("lease")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the daemon decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Daemon:
    """The tasks of one daemon process; see the module docstring."""

    def __init__(
        self,
        config: Config,
        reconciler: Reconciler,
        sock: socket.socket,
        metrics: Metrics,
        pages: PageFeed | None = None,
        *,
        host: GitHost | None = None,
    ) -> None:
        self.config = config
        self.reconciler = reconciler
        self.metrics = metrics
        self.sock = sock
        self.wakeup = Wakeup(lambda reason: self.heard(Triggered(reason)))
        self.readback_due = asyncio.Event()
        self.stopping = asyncio.Event()
        self.busy = asyncio.Lock()
        self.failures = 0
        self.rejections = PushRejections()
        self.completed = 0
        self.source_problem: str | None = None
        self.latest: dict[str, Any] | None = None
        self.on_ready: Callable[[], None] | None = None
        self.host = host
        routes = page_routes(pages, utc_now) if pages is not None else []
        app = Guard(build_app(self, routes), config.http_auth, listens_on_loopback(config.listen))
        uvicorn_config = uvicorn.Config(
            app, log_config=None, access_log=False, timeout_graceful_shutdown=5
        )
        self.server = _Server(uvicorn_config)

    # --- the service the endpoints read -----------------------------------------------------

    @property
    def webhook_secret(self) -> str | None:
        return self.config.webhook_secret

    def unready(self) -> str | None:
        if self.source_problem is not None:
            return f"the Git source is unavailable: {self.source_problem}"
        if self.completed == 0:
            return "no pass has completed yet"
        return None

    def document(self) -> dict[str, Any] | None:
        return self.latest

    def exposition(self) -> bytes:
        return self.metrics.exposition()

    def details(self) -> dict[str, Any]:
        return {"details": {"forge": self.host.state()}} if self.host is not None else {}

    def replica(self) -> dict[str, Any] | None:
        lease = self.reconciler.replica
        if lease is None:
            return None
        shards = self.reconciler.shards
        acting = lease.held() or (shards is not None and shards.acting())
        role = "active" if acting else "standby"
        found = {"role": role, "active": lease.active_holder, "me": lease.me, "epoch": lease.epoch}
        if shards is not None:  # `active`: who holds the report lease
            found |= {"report": lease.held(), **shards.state()}
        return found

    def webhook_received(self, accepted: bool, pulls: bool = False) -> None:
        self.heard(WebhookReceived(accepted))
        if accepted:
            self.wakeup.fire("webhook")
        if accepted and pulls and self.host is not None:
            self.host.watcher.look()

    def heard(self, event: PassEvent) -> None:
        self.reconciler.listener.heard(event)

    # --- running ------------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.shutdown, signal.Signals(signum).name)
        scheduler = self._scheduler()
        scheduler.start()
        self.wakeup.fire("start")
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self.server.serve(sockets=[self.sock]))
                tasks.create_task(self.work())
                tasks.create_task(self.readbacks())
                if self.host is not None:
                    tasks.create_task(self.host.run(self.stopping))
                watched = local_path(self.config.source or "")
                if watched is not None:
                    tasks.create_task(watch_refs(watched, self.wakeup.fire, self.stopping))
        finally:
            scheduler.shutdown(wait=False)
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)

    def _scheduler(self) -> AsyncIOScheduler:
        async def fetch_due() -> None:
            self.wakeup.fire("interval")

        async def readback_due() -> None:
            self.readback_due.set()

        scheduler = AsyncIOScheduler(timezone=UTC)
        for job, seconds in (
            (fetch_due, self.config.interval),
            (readback_due, self.config.readback_interval),
        ):
            scheduler.add_job(job, "interval", seconds=seconds, coalesce=True, max_instances=1)
        return scheduler

    def shutdown(self, name: str) -> None:
        if self.stopping.is_set():
            log.info("%s again: still finishing the Core call in flight", name)
            return
        log.info("%s: finishing the Core call in flight, then stopping", name)
        self.heard(Stopping())
        self.reconciler.stop.set()
        self.stopping.set()
        self.wakeup.close()
        self.readback_due.set()
        self.server.should_exit = True

    async def work(self) -> None:
        """The worker: one pass per wake, until the daemon stops."""
        while (reasons := await self.wakeup.wait()) is not None:
            async with self.busy:
                ok = await self.one_pass(reasons)
            if ok:
                self.failures = 0
            elif not self.stopping.is_set():
                self.failures += 1
                delay = min(MAX_BACKOFF, 2.0 ** (self.failures - 1))
                log.info("trying again in %.0f s", delay)
                asyncio.get_running_loop().call_later(delay, self.wakeup.fire, "retry")

    async def one_pass(self, reasons: tuple[str, ...]) -> bool:
        """Poll the source and run a pass when there is something new; False when it failed."""
        self.heard(PassStarted())
        started = asyncio.get_running_loop().time()
        try:
            result = await self.reconciler.poll()
        except SourceUnavailable as error:
            self._source_failed(error)
            return False
        except LeaseLost as error:
            log.warning("%s: standing by", error)
            self.heard(PassFinished(False, asyncio.get_running_loop().time() - started))
            return True
        except Exception as error:
            log.exception("pass failed (woken by %s)", ", ".join(sorted(set(reasons))))
            self.heard(PassFailed(type(error).__name__))
            return False
        self._source_answered()
        if result is None:
            self.heard(PassFinished(False, asyncio.get_running_loop().time() - started))
            return True
        if not self._published(result):
            return False
        self.heard(PassFinished(True, asyncio.get_running_loop().time() - started))
        first = result.report is not None and self.completed == 0
        self.completed += result.report is not None
        self.heard(Readiness(self.unready() is None))
        if first:
            log.info("first report ready: %d pipeline(s)", len(result.rows))
            if self.on_ready is not None:
                self.on_ready()
        return True

    async def readbacks(self) -> None:
        """The readback loop: a refresh per scheduled tick. A tick that finds a pass running
        waits for it, and is skipped when that pass read every Core back after the tick (a
        poll that found nothing new reads nothing back: with a fetch interval that keeps
        falling on the readback ticks, skipping on a busy worker starved the refreshes)."""
        while True:
            await self.readback_due.wait()
            self.readback_due.clear()
            if self.stopping.is_set():
                return
            due = self.reconciler.clock()
            async with self.busy:
                surveyed = self.reconciler.surveyed
                if self.stopping.is_set() or (surveyed is not None and surveyed >= due):
                    continue
                await self.refresh()

    async def refresh(self) -> None:
        try:
            result = await self.reconciler.refresh()
        except SourceUnavailable as error:
            self._source_failed(error)
            return
        except LeaseLost as error:
            log.warning("%s: standing by", error)
            return
        except Exception:
            log.exception("readback refresh failed")
            return
        self.heard(ReadbackRefreshed())
        if result is not None:
            self._published(result)

    def _published(self, result: PassResult) -> bool:
        """Take in a pass's or refresh's report; False when the source refuses the push."""
        if result.live_document is not None:
            self.latest = dict(result.live_document)
        try:
            why = self.reconciler.source.rejection
            if self.rejections.again(result.report_commit, result.pushed, why):
                self.wakeup.fire("retry")
        except SourceUnavailable as error:
            self._source_failed(error)
            return False
        self.heard(Readiness(self.unready() is None))
        return True

    def _source_failed(self, error: SourceUnavailable) -> None:
        self.source_problem = str(error)
        self.heard(SourceFailed(str(error)))
        log.warning("%s", error)

    def _source_answered(self) -> None:
        if self.source_problem is not None:
            log.info("the Git source answers again")
        self.source_problem = None
        self.heard(SourceAnswered())
