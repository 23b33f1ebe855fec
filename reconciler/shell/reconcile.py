"""One pass of the reconciler: the single orchestrator (SPEC §7), told as a numbered story.

1. fetch the source and find the head of the tracked branch
2. read the declared state at the head; if it is invalid keep the last valid one and say why
3. keep the clients of the Cores this pass may talk to (the judged ones, and those of the
   requests still to run) and close the others; on the first pass, trust the head's Cores
4. take the requests in the commits since the last processed one, each recorded before it runs
   (`intake`: the first pass takes the head as its baseline, so markers already in history are
   never executed; unsigned requests are refused when allowed signers are set)
5. run every unfinished request in order (`runs`): a run killed half way is resumed here, each
   Core re-planned against its own fresh readback, so a slow Core holds up only itself
6. read back every judged Core that is trusted (declared as in the last deployed state); a new
   or changed Core is shown as awaiting a Deploy All and is not contacted (`decide.trust`). A
   Core read back less than one readback interval ago, and not touched by a run of this pass,
   keeps that observation: the readback schedule refreshes it, so a commit costs what it
   changed and not a readback of the fleet
7. compute the rows, from one clock reading and one ledger snapshot
8. build the report from the same inputs and, when its content changed, commit and push it

Everything else is called from here, and everything that observes a pass hears it as an event
(`listeners`). The daemon adds two short forms of the same story: `poll` fetches and runs a
pass only when the source moved past what the last pass saw (or a request is unfinished), and
`refresh` is steps 3, 7 and 8 alone, on the declared state last judged, for the readback
schedule. A pass stops after step 5 when the daemon is stopping: what ran is recorded, and the
report waits for the next start.

With `--shards N` the story is told by every replica on its own shards' Cores: steps 5 and
6 act on and read back only the Cores of the shards it holds (the others' readback comes from
the ledger, as their holders published it), a run is run shard by shard (`shardruns`), and
steps 4 and 8 and the runs' final records belong to the replica holding the report lease.

Reading the declared state is incremental (`repo.states.StateReader`). I/O module (through the
shell parts it drives).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from reconciler.decide.declared.parse import StateAt
from reconciler.decide.model import Core, DeclaredState
from reconciler.decide.observed import Observation, Reason
from reconciler.decide.outcomes import (
    Run,
)
from reconciler.decide.report import RECORDS_KEPT, Refusal, ReportInputs
from reconciler.decide.reportjson import pipelines_document
from reconciler.decide.rows import Inputs, Row
from reconciler.decide.runview import describe, ending
from reconciler.decide.settle import SETTLE_INTERVALS, Shown, settled
from reconciler.decide.trust import trusted
from reconciler.shell import intake, runs
from reconciler.shell.clock import Clock
from reconciler.shell.config import Config
from reconciler.shell.core.client import CoreClient
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger import Ledger
from reconciler.shell.ledger.pglease import PgLease
from reconciler.shell.ledger.pgshards import ShardLeases
from reconciler.shell.listeners import (
    FilesRead,
    Judged,
    Listeners,
    Observed,
    PassListener,
    ReportPushed,
    RequestsRecorded,
    Rows,
    RunsFinished,
)
from reconciler.shell.memo import PassMemory
from reconciler.shell.repo.reportwriter import write_report
from reconciler.shell.repo.source import GitSource
from reconciler.shell.repo.states import StateReader

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PassResult:
    head: str
    revision: str
    rows: tuple[Row, ...]
    runs: tuple[Run, ...]
    report_commit: str | None
    pushed: bool
    report: ReportInputs | None = None
    """What the report was built from (None when the pass stopped for a shutdown)."""
    live: ReportInputs | None = None
    """The same from the live readback (`/api/status`): it differs from `report` only while a
    Core's reachability flip has not settled (`decide.settle`)."""
    live_document: Mapping[str, Any] | None = None
    """`live` as its `pipelines.json` document, made off the loop with the report."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """The declared state the last pass judged, kept for readback refreshes."""

    head: str
    state: DeclaredState
    revision: str
    refusal: Refusal | None


@dataclass
class Reconciler:
    """The shell parts one pass drives, and what it remembers between passes."""

    config: Config
    source: GitSource
    ledger: Ledger
    pool: CorePool
    clock: Clock
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    listener: PassListener = field(default_factory=Listeners)
    observations: dict[str, Observation] = field(default_factory=dict)
    shown: dict[str, Shown] = field(default_factory=dict)
    """Each Core as the report last showed it (`decide.settle`)."""
    reader: StateReader | None = None
    tip: str | None = None
    """The source's branch as this reconciler last left it: the head judged, or its report."""
    judged: Judgement | None = None
    surveyed: datetime | None = None
    """When the last readback of every judged Core (a pass's step 6, a refresh) started."""
    memory: PassMemory = field(default_factory=PassMemory)
    """What the last pass resolved, rowed and rendered, for the next one to reuse."""
    replica: PgLease | None = None
    """This process's lease when replicas share a PostgreSQL ledger (None: the only one)."""
    active: Callable[[], bool] = lambda: True
    """Whether this replica holds its lease (`ledger.pglease`); a standby's pass fetches, judges
    and reads back (its clone and readback stay warm) but takes no request, runs nothing,
    writes nothing to the ledger and commits no report. With `--shards` it is the report lease:
    the report, the requests taken and the runs' final records."""
    shards: ShardLeases | None = None
    """With `--shards N`: the shard leases; this replica reads back, deploys and acts only on
    the Cores of the shards it holds (`shardruns`), and reads the other shards' readback from
    the ledger for the report."""

    def acting(self) -> bool:
        """Whether this replica may act on some Cores now (it holds the lease, or a shard)."""
        return self.active() if self.shards is None else self.shards.acting()

    def holds(self, core: str) -> bool:
        """Whether this replica reads back and acts on `core` (the lease of its shard held)."""
        return self.shards is None or self.shards.holds(core)

    async def run_pass(self, head: str | None = None) -> PassResult:
        """One whole pass; `head` is the commit a fetch just found (None: fetch first)."""
        # 1. fetch the source and find the head
        if head is None:
            head = await asyncio.to_thread(self.source.fetch)
        # 2. the declared state at the head, or the last valid one with the refusal
        active = self.active()
        verdict = self.judged = await self.declared(head, record=active)
        self.listener.heard(Judged(head, verdict.revision, verdict.refusal))
        state = verdict.state
        # 3. the clients this pass may use; the first pass trusts its head
        await self.pool.retain([*state.cores.values(), *await self.pending_cores()])
        if not active and not self.acting():
            await self.survey(state.cores.values())
            return await self.publish(verdict, (), head)
        # 4. requests since the last processed commit; 5. record them, then run what is unfinished
        recorded = await self.take(head, state) if active else ()
        if recorded:
            self.listener.heard(RequestsRecorded(recorded))
        for run in recorded:
            log.info("request %s: taken (%s)", run.id, describe(run))
            if run.state.finished:
                log.info("request %s: %s", run.id, ending(run))
        ran = await runs.run_unfinished(self)
        self.listener.heard(RunsFinished(ran))
        if self.stop.is_set():
            log.info("stopping: the report waits for the next start")
            return PassResult(head, verdict.revision, (), ran, None, False)
        # 6. read back every trusted Core not read back within the interval, or touched
        touched = {outcome.core for run in ran for outcome in run.cores if outcome.steps}
        await self.survey(state.cores.values(), reuse=self.recent(touched))
        # 7. the rows; 8. the report, committed and pushed when its content changed
        return await self.publish(verdict, ran, head)

    async def take(self, head: str, state: DeclaredState) -> tuple[Run, ...]:
        """Steps 3 (the first pass's trust) and 4: the requests since the last processed commit."""
        await intake.trust_first(self.ledger, state)
        return await intake.take(self.source, self.ledger, self.state_at, head, state)

    async def poll(self) -> PassResult | None:
        """Fetch; run a pass when the source moved on or a request is unfinished, else None."""
        head = await asyncio.to_thread(self.source.fetch)
        if self.stop.is_set() or (head == self.tip and not await self.ledger.unfinished()):
            return None
        return await self.run_pass(head)

    async def refresh(self) -> PassResult | None:
        """Steps 3, 7 and 8 on the declared state last judged (None before the first pass)."""
        if self.judged is None:
            return None
        await self.survey(self.judged.state.cores.values())
        return await self.publish(self.judged, (), self.tip or self.judged.head)

    async def publish(self, verdict: Judgement, ran: tuple[Run, ...], base: str) -> PassResult:
        """Steps 7 and 8: the rows, then the report committed on `base` if its content changed.

        A report push rejected because the branch moved leaves `tip` unknown, so that the next
        poll runs a whole pass on the new head.
        """
        snapshot, now = await self.ledger.snapshot(recent=RECORDS_KEPT), self.clock()
        observations = dict(self.observations)
        records = await asyncio.to_thread(self.memory.adopted, snapshot.records, observations)
        period = SETTLE_INTERVALS * self.interval
        self.shown = settled(self.observations, self.shown, now, period)
        shown = {core: kept.observation for core, kept in self.shown.items()}
        resolved = await asyncio.to_thread(self.memory.resolution, verdict.state)
        inputs = Inputs(verdict.state, records, shown, now, self.interval, resolved)
        # the rows and the report are CPU work that grows with the fleet: off the loop, so that
        # the daemon's endpoints and webhook answer while a big pass runs
        about = (verdict.revision, snapshot.recent, verdict.refusal)
        report = await asyncio.to_thread(partial(self.memory.report, inputs, *about))
        live = report
        if any(seen is not self.observations[core] for core, seen in shown.items()):
            live_inputs = replace(inputs, observations=dict(self.observations))
            live_made = partial(self.memory.report, live_inputs, *about, keep=False)
            live = await asyncio.to_thread(live_made)
        self.listener.heard(Rows(live))
        fragments = self.memory.fragments
        fragments.rotate()
        document = await asyncio.to_thread(pipelines_document, live, fragments)
        if not self.active():  # the active replica writes the one report
            return PassResult(verdict.head, verdict.revision, report.rows, ran, None, False,
                              report, live, document)  # fmt: skip
        report_dir, identity = verdict.state.settings.report_dir, self.config.identity
        commit, pushed = await asyncio.to_thread(
            partial(write_report, fragments=fragments),
            self.source,
            base,
            report_dir,
            report,
            identity,
        )
        if commit is not None:
            self.listener.heard(ReportPushed(commit, pushed))
        self.tip = base if commit is None else (commit if pushed else None)
        return PassResult(
            verdict.head, verdict.revision, report.rows, ran, commit, pushed, report, live, document
        )

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.config.readback_interval)

    async def state_at(self, revision: str) -> StateAt:
        """The declared state at a revision, read incrementally (see `declared`)."""
        if self.reader is None:
            self.reader = StateReader(
                self.source,
                counted=lambda *cost: self.listener.heard(FilesRead(*cost)),
                tokens=self.config.tokens,
            )
        return await asyncio.to_thread(self.reader.state_at, revision)

    async def declared(self, head: str, record: bool = True) -> Judgement:
        """The state to judge by and its revision: the newest commit outside the report folder
        (remembered as the last valid one when `record`)."""
        found = await self.state_at(head)
        if isinstance(found, DeclaredState):
            report_dir = found.settings.report_dir
            revision = await asyncio.to_thread(self.source.last_change, head, report_dir)
            if record:
                await self.ledger.set_last_valid(revision)
            return Judgement(head, found, revision, None)
        refusal = Refusal(head, tuple(str(problem) for problem in found.problems))
        log.warning("declared state at %s refused: %s", head[:12], found)
        last_valid = await self.ledger.last_valid()
        previous = await self.state_at(last_valid) if last_valid else None
        if isinstance(previous, DeclaredState) and last_valid:
            return Judgement(head, previous, last_valid, refusal)
        return Judgement(head, DeclaredState(), head, refusal)

    async def pending_cores(self) -> list[Core]:
        """The Cores, as declared at their own commits, of the requests still to run."""
        found: list[Core] = []
        for run in await self.ledger.unfinished():
            if not await asyncio.to_thread(self.source.has_commit, run.commit):
                continue
            state = await self.state_at(run.commit)
            if isinstance(state, DeclaredState):
                found += state.cores.values()
        return found

    def recent(self, touched: set[str]) -> Callable[[str], bool]:
        """Whether a Core's last observation may stand for a readback now: it was a readback
        (not a Core awaiting its Deploy All) less than one interval ago, and no run since
        touched the Core."""
        since = self.clock() - self.interval

        def holds(name: str) -> bool:
            seen = self.observations.get(name)
            return (
                seen is not None
                and name not in touched
                and seen.reason is not Reason.AWAITING_DEPLOY
                and seen.attempted_at >= since
            )

        return holds

    async def survey(
        self, cores: Iterable[Core], reuse: Callable[[str], bool] = lambda _name: False
    ) -> None:
        """The readback of a pass or a refresh (step 6), remembered in `surveyed`."""
        started = self.clock()
        await self.readback(cores, reuse=reuse)
        self.surveyed = started

    async def readback(
        self,
        cores: Iterable[Core],
        approved: bool = False,
        reuse: Callable[[str], bool] = lambda _name: False,
    ) -> dict[str, Observation]:
        """Read back `cores`: the trusted ones only, unless a Deploy All `approved` them all;
        a trusted Core for which `reuse` holds keeps its last observation."""

        def heard(observation: Observation) -> None:
            self.listener.heard(Observed(observation))

        chosen, elsewhere = list(cores), {}
        if self.shards is not None:  # the other shards' Cores: as their holders published them
            others = {core.name for core in chosen if not self.holds(core.name)}
            elsewhere = await self.shards.published(others)
            self.observations.update(elsewhere)
            chosen = [core for core in chosen if core.name not in others]
        contacted = chosen if approved else trusted(chosen, await self.ledger.trusted_cores())
        kept = {core.name: self.observations[core.name] for core in contacted if reuse(core.name)}
        contacted = [core for core in contacted if core.name not in kept]
        fresh = kept | await self.pool.readback_all(contacted, self.observations, heard)
        for core in chosen:
            if core.name not in fresh:
                fresh[core.name] = self.awaiting(core)
                heard(fresh[core.name])
        self.observations.update(fresh)
        if self.shards is not None:
            await self.shards.publish(fresh)
        return fresh | elsewhere

    def awaiting(self, core: Core) -> Observation:
        """A Core that is not contacted until a Deploy All: what was last seen, flagged so."""
        seen = self.observations.get(core.name)
        return Observation(
            core=core.name,
            reachable=False,
            attempted_at=self.clock(),
            last_seen=seen.last_seen if seen else None,
            components=seen.components if seen else {},
            version=seen.version if seen else None,
            reason=Reason.AWAITING_DEPLOY,
            message=f"core {core.name} is new or changed (url, token or TLS) and is not "
            "contacted until a Deploy All deploys it",
        )

    def client_for(self, state: DeclaredState) -> Callable[[str], CoreClient]:
        return lambda name: self.pool.client(state.cores[name])
