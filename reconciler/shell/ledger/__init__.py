"""The ledger: what this reconciler did (SPEC §7), and the lease that makes it the only writer.

- `Ledger` (below): the protocol every backend keeps, with typed accessors; how a value is
  encoded stays inside the backend.
- `Lease` (below): the right to be the one reconciler acting on a ledger.
- `sqlite`: the embedded ledger, one SQLite file in the state directory (`sqlschema`: its
  schema, with the count of changes that lets a read skip unchanged records).
- `postgres`: the shared ledger of replicas, one PostgreSQL database (`pgschema`: its schema).
- `rows`: how both backends store a row's values.
- `pglease`: `PgLease`, one active replica per shard, an advisory lock and an epoch (fencing).
- `opening`: the backend a `--ledger` names, opened.
- `lease`: `FileLease`, one reconciler per state directory, held by a lock on a file.
- `permissions`: the state directory and the ledger's files private to the daemon's user.

The contract. A write is durable when its call returns, and each call is one transaction: a
crash at any point loses nothing that a call reported done. The deployer records the intents
of a Core's operations before the first call goes out, and settles them (owned, disowned, or
withdrawn if never sent) when that Core's work ends: one write before and one after, not two
per operation, and a crash in between loses nothing, since a recorded intent whose component
the Core holds is owned again (`reconciler.decide.records.adopted`). A request is claimed
before it runs; `claim` is the one place a request becomes exactly-once. Reads see every
write made before them by any process that shares the ledger (a command-line action records
into the daemon's ledger while it runs).
`tests/integration/ledger/` runs the same contract tests on every backend.

Sync or async: **async**. Every method is a coroutine, so the daemon's event loop never waits
on storage: a network backend (PostgreSQL) awaits its driver, and the SQLite backend runs each
call on one worker thread of its own that owns the connection (SQLite connections belong to
one thread), which also serialises the calls of one process. Calls are short (milliseconds).

A boundary of the shell: it imports neither the Core client nor the repository packages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from reconciler.decide.components import Key, OpKind
from reconciler.decide.outcomes import Run
from reconciler.decide.records import CellError, Deployment, Records, Stage
from reconciler.decide.trust import CoreIdentity

Call: TypeAlias = tuple[Key, OpKind]
"""One call about a component to a Core: write it (`create`, `update`) or `delete` it."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The records and the newest runs, read together: one consistent view for one report."""

    records: Records
    recent: tuple[Run, ...]


class Ledger(Protocol):
    """What a ledger backend keeps; see the module docstring for the guarantees."""

    # the source's progress ---------------------------------------------------------------

    async def last_processed(self) -> str | None:
        """The newest commit whose requests were all recorded (None before the first pass)."""

    async def set_last_processed(self, commit: str) -> None:
        """Mark `commit` processed: requests up to it are recorded."""

    async def last_valid(self) -> str | None:
        """The newest revision whose declared state was valid (None before one was seen)."""

    async def set_last_valid(self, revision: str) -> None:
        """Remember `revision` as the newest valid declared state."""

    async def trusted_signers(self) -> tuple[str, ...]:
        """The allowed signers in force (empty: signatures are not checked)."""

    async def set_trusted_signers(self, signers: Sequence[str]) -> None:
        """The allowed signers in force from now on (those of a baseline or a deployed state)."""

    async def trusted_cores(self) -> dict[str, CoreIdentity]:
        """The Cores that may be contacted with their tokens, by name (those of the baseline or
        the last deployed state; see `reconciler.decide.trust`)."""

    async def set_trusted_cores(self, cores: Mapping[str, CoreIdentity]) -> None:
        """The Cores trusted from now on."""

    # what is on the Cores ------------------------------------------------------------------

    async def records(self) -> Records:
        """Deployments, ownership and cell errors: everything the pure core needs."""

    async def snapshot(self, recent: int = 20) -> Snapshot:
        """The records and the `recent` newest runs, from one read."""

    async def intend(self, core: str, calls: Sequence[Call], run_id: str) -> None:
        """These calls to `core` (a Core's plan) are about to go out: recorded first, in one
        transaction, so that a crash before their answers loses nothing. An intent an earlier
        run left for the same component is kept: that component may be this reconciler's."""

    async def settle(
        self, core: str, done: Sequence[Call], unsent: Sequence[Key], run_id: str
    ) -> None:
        """`core` confirmed the calls `done`: a write owns its component, a delete disowns
        it, and their intents are done. The intents `run_id` recorded for the calls `unsent`
        (a failure or a stop came first) are withdrawn. One transaction."""

    async def record_core(
        self, core: str, deployments: Sequence[Deployment], removed: Sequence[str]
    ) -> None:
        """After a Core's plan is applied: its deployments now (every component of them owned),
        the pipelines gone from it, and its deploy errors cleared for both."""

    async def forget_core(self, core: str) -> None:
        """Drop everything about a Core that is no longer declared (the Core is not touched)."""

    async def set_error(self, error: CellError) -> None:
        """The last failure of a cell's deploy or start, replacing the one before."""

    async def clear_error(self, core: str, pipeline: str, stage: Stage) -> None:
        """The cell's `stage` succeeded: its error is gone."""

    # requests ------------------------------------------------------------------------------

    async def claim(self, run: Run) -> bool:
        """Record a request before it runs; False when its id is recorded already."""

    async def update(self, run: Run) -> None:
        """Store the run's new state and outcomes under its id."""

    async def run(self, run_id: str) -> Run | None:
        """The run recorded under `run_id`."""

    async def unfinished(self) -> list[Run]:
        """Runs claimed or running (a run killed half way, to resume), oldest request first."""

    async def recent(self, limit: int = 20) -> list[Run]:
        """The newest `limit` runs, newest first."""

    async def integrity(self) -> list[str]:
        """Problems with what is stored (none: the ledger is sound), one sentence each."""

    # moving a ledger -----------------------------------------------------------------------

    async def export_rows(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Every stored row as (table, columns), in the tables and column order of
        `rows.TABLES`, which both backends share; from one consistent read."""

    async def import_rows(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Store exported rows, in one transaction; refused when this ledger holds anything."""

    async def close(self) -> None:
        """Release the backend's connections; the ledger is not used after this."""


class Lease(Protocol):
    """The right to act as the one reconciler of a ledger; given up with `release`."""

    @property
    def holder(self) -> str:
        """Who holds it, for messages (a process id, a host)."""

    def held(self) -> bool:
        """Whether it is still held; a backend that can lose it answers False from then on."""

    async def release(self) -> None:
        """Give it up; another reconciler may take it from now on."""
