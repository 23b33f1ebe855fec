"""The state directory: one reconciler at a time, held by an exclusive lock on a file.

The lock is released by the kernel when the process ends, however it ends, so a killed daemon
never leaves a stale lock behind. I/O module (the file system).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.errors import ConfigurationError

LOCK_FILE = "lock"


@contextmanager
def locked(state_dir: Path) -> Iterator[Path]:
    """Hold the state directory for this process; a second holder is a ConfigurationError."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ConfigurationError(
                f"state directory {state_dir} is in use by another reconciler (pid {holder})"
            ) from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield state_dir
