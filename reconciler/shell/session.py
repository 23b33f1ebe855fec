"""A reconciler session: the lease taken, and the ledger, source and Core clients open.

`once` and the daemon both work inside one; everything is closed, and the lease given up, on the
way out, however the session ends. I/O module.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from reconciler.errors import ConfigurationError
from reconciler.shell.clock import utc_now
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.lease import FileLease
from reconciler.shell.ledger.opening import open_ledger
from reconciler.shell.listeners import Listeners, PassListener
from reconciler.shell.reconcile import Reconciler
from reconciler.shell.repo.source import GitSource

log = logging.getLogger(__name__)


@asynccontextmanager
async def session(
    config: Config, listener: PassListener | None = None
) -> AsyncIterator[Reconciler]:
    """A `Reconciler` ready for passes, telling `listener` what happens."""
    if config.source is None or config.state_dir is None:
        raise ConfigurationError("--repo is required (or set RECONCILER_REPO)")
    if not config.state_dir.exists():
        log.info("state directory %s created: it keeps the ledger and the clone", config.state_dir)
    lease = await FileLease.acquire(config.state_dir)
    try:
        ledger = await open_ledger(config.ledger_url, config.state_dir)
        try:
            source = GitSource(config.source, config.state_dir / "source.git", config.branch)
            async with CorePool(config.environ, config.client, utc_now) as pool:
                yield Reconciler(
                    config, source, ledger, pool, utc_now, listener=listener or Listeners()
                )
        finally:
            await ledger.close()
    finally:
        await lease.release()
