"""The state directory and the ledger's files belong to the daemon's user alone.

The state directory is 0700 and the files the ledger and the lease keep in it are 0600. Modes
are set when a thing is created and corrected whenever it is opened, so a state directory made
by an older version, or by hand under a loose umask, becomes private on the next start. A
directory or file that this user may not chmod (someone else owns it) is a ConfigurationError
naming it: a daemon that cannot keep its state private does not start.

I/O module (the file system).
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.errors import ConfigurationError

DIRECTORY_MODE = 0o700
"""The state directory: its owner lists, reads and enters it; nobody else."""
FILE_MODE = 0o600
"""The ledger, its journal files and the lock: read and written by their owner only."""


def private_directory(path: Path) -> None:
    """Create `path` (and its parents) if needed and make it 0700."""
    try:
        path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(f"{path} cannot be created: {error.strerror}") from error
    _chmod(path, DIRECTORY_MODE)


def private_file(path: Path) -> int:
    """Open `path` for reading and writing, created 0600 if absent and made 0600; returns the fd."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as error:
        raise ConfigurationError(f"{path} cannot be opened: {error.strerror}") from error
    try:
        os.fchmod(descriptor, FILE_MODE)
    except OSError as error:
        os.close(descriptor)
        raise _not_private(path, FILE_MODE, error) from error
    return descriptor


def make_private(path: Path) -> None:
    """Make an existing file 0600; a missing one is left missing."""
    if path.exists():
        _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    if path.stat().st_mode & 0o777 == mode:
        return
    try:
        path.chmod(mode)
    except OSError as error:
        raise _not_private(path, mode, error) from error


def _not_private(path: Path, mode: int, error: OSError) -> ConfigurationError:
    return ConfigurationError(
        f"{path} cannot be made private to this user (mode {mode:o}): {error.strerror}"
    )
