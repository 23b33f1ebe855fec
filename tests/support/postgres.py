"""A throwaway real PostgreSQL server for tests: initdb and pg_ctl on a free loopback port.

    server = PostgresServer.create()                  # initdb into a new temporary folder
    server.start()                                    # pg_ctl start; returns once it answers
    url = server.database("ledger-a")                 # a new empty database, its URL
    server.remove()                                   # pg_ctl stop, the folder deleted

The binaries come from Debian's `postgresql` package (`/usr/lib/postgresql/*/bin`, installed by
`.ci/packages`). PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
user (`runuser`); its folder is made that user's. It listens on 127.0.0.1 only, trusts loopback
connections (no password: none can leak), and keeps its socket inside its folder.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.cores import free_port

SUPERUSER = "reconciler"
RUN_AS = "postgres"


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise AssertionError("PostgreSQL is not installed: run `bash .ci/packages`")
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    """One cluster in `folder`, served on `port`."""

    folder: Path
    port: int

    @classmethod
    def create(cls) -> PostgresServer:
        """A new cluster in a new private folder of its own under the system's temporary
        folder (not pytest's, which other test sessions clean up), owned by the server's user."""
        folder = Path(tempfile.mkdtemp(prefix="reconciler-postgres-"))
        server = cls(folder, free_port())
        if os.geteuid() == 0:
            shutil.chown(folder, RUN_AS, RUN_AS)
        server._run("initdb", "-D", str(server.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8")
        with (server.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {server.port}\n"
                f"unix_socket_directories = '{folder}'\nfsync = off\n"
                "max_connections = 200\nshared_buffers = 16MB\n"
            )
        return server

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, tool: str, *args: str) -> str:
        command = [str(binaries() / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{tool} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        """Stop the server at once (if it runs) and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self) -> None:
        """Stop (fast: sessions are ended) and start again, on the same port and data."""
        self.stop("fast")
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; its unaligned output."""
        return self._run(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database),
            "-c", statement,
        )  # fmt: skip

    def database(self, name: str) -> str:
        """A new empty database named after `name` (made safe); its URL."""
        safe = re.sub(r"[^a-z0-9_]", "_", name.lower())[-60:]
        self.sql(f'DROP DATABASE IF EXISTS "{safe}" WITH (FORCE)')
        self.sql(f'CREATE DATABASE "{safe}"')
        return self.url(safe)
