"""A reconciler session: the state directory held, and the ledger, source and clients open.

`once` and the daemon both work inside one. I/O module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from reconciler.errors import ConfigurationError
from reconciler.shell.clock import utc_now
from reconciler.shell.config import Config
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.lease import locked
from reconciler.shell.ledger.sqlite import Ledger
from reconciler.shell.reconcile import Reconciler
from reconciler.shell.repo.source import GitSource


@asynccontextmanager
async def session(config: Config) -> AsyncIterator[Reconciler]:
    """A `Reconciler` ready for passes; everything is closed and unlocked on the way out."""
    if config.source is None or config.state_dir is None:
        raise ConfigurationError("--repo is required (or set RECONCILER_REPO)")
    with locked(config.state_dir) as state_dir:
        ledger = Ledger.open(state_dir)
        try:
            source = GitSource(config.source, state_dir / "source.git", config.branch)
            async with CorePool(config.environ, config.client, utc_now) as pool:
                yield Reconciler(config, source, ledger, pool, utc_now)
        finally:
            ledger.close()
