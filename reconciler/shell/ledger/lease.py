"""`FileLease`: one reconciler per state directory, held by an exclusive lock on a file.

The lock is released by the kernel when the process ends, however it ends, so a killed daemon
never leaves a stale lease behind, and a lease once taken is held until released: `held()` is
True until then. Taking it makes the state directory 0700 and the lock file 0600 (see
`permissions`). It keeps the `reconciler.shell.ledger.Lease` contract. I/O module (the file
system).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path
from typing import TextIO

from reconciler.errors import ConfigurationError
from reconciler.shell.ledger.permissions import private_directory, private_file

LOCK_FILE = "lock"


class FileLease:
    """The lock on `<state_dir>/lock`; take it with `FileLease.acquire`."""

    def __init__(self, state_dir: Path, handle: TextIO) -> None:
        self.state_dir = state_dir
        self._handle: TextIO | None = handle

    @classmethod
    async def acquire(cls, state_dir: Path) -> FileLease:
        """Hold the state directory for this process; a second holder is a ConfigurationError."""
        return await asyncio.to_thread(cls._take, state_dir)

    @classmethod
    def _take(cls, state_dir: Path) -> FileLease:
        private_directory(state_dir)
        handle = os.fdopen(private_file(state_dir / LOCK_FILE), "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise ConfigurationError(
                f"state directory {state_dir} is in use by another reconciler (pid {holder})"
            ) from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(state_dir, handle)

    @property
    def holder(self) -> str:
        return f"pid {os.getpid()}"

    def held(self) -> bool:
        return self._handle is not None

    async def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
