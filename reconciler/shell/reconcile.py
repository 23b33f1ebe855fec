"""One pass of the reconciler: the single orchestrator (SPEC §7), told as a numbered story.

1. fetch the source and find the head of the tracked branch
2. read the declared state at the head; if it is invalid keep the last valid one and say why
3. read back every Core
4. take the requests in the commits since the last processed one, each recorded before it runs
   (`intake`: the first pass takes the head as its baseline, so markers already in history are
   never executed; unsigned requests are refused when allowed signers are set)
5. run every unfinished request in order: a run killed half way is resumed here, re-planned
   against a fresh readback
6. read back again when anything ran
7. compute the rows
8. build the report and, when its content changed, commit and push it

Everything else is called from here. The daemon adds two short forms of the same story: `poll`
fetches and runs a pass only when the source moved past what the last pass saw (or a request
is unfinished), and `refresh` is steps 3, 7 and 8 alone, on the declared state last judged, for
the readback schedule. A pass stops after step 5 when the daemon is stopping: what ran is
recorded, and the report waits for the next start.

Reading the declared state is incremental (`declared.StateReader`). I/O module (through the
shell parts it drives).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from reconciler.decide.model import ActionVerb, Core, DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Outcome, RequestState, Run, RunKind
from reconciler.decide.plan import plan
from reconciler.decide.report import Refusal, ReportInputs
from reconciler.decide.rows import Inputs, Row, rows
from reconciler.decide.unmanaged import unmanaged
from reconciler.shell import actions, deployer, intake
from reconciler.shell.clock import Clock
from reconciler.shell.config import Config
from reconciler.shell.core.client import CoreClient
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.sqlite import LAST_VALID, Ledger
from reconciler.shell.metrics import Metrics
from reconciler.shell.repo.reportwriter import write_report
from reconciler.shell.repo.source import GitSource
from reconciler.shell.repo.states import StateAt, StateReader

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


@dataclass(frozen=True, slots=True)
class Judged:
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
    metrics: Metrics = field(default_factory=Metrics)
    observations: dict[str, Observation] = field(default_factory=dict)
    reader: StateReader | None = None
    tip: str | None = None
    """The source's branch as this reconciler last left it: the head judged, or its report."""
    judged: Judged | None = None

    async def run_pass(self, head: str | None = None) -> PassResult:
        """One whole pass; `head` is the commit a fetch just found (None: fetch first)."""
        # 1. fetch the source and find the head
        if head is None:
            head = await asyncio.to_thread(self.source.fetch)
        # 2. the declared state at the head, or the last valid one with the refusal
        state, revision, refusal = await self.declared(head)
        self.judged = Judged(head, state, revision, refusal)
        # 3. read back every Core
        await self.readback(state.cores.values())
        # 4. requests since the last processed commit; 5. record them, then run what is unfinished
        await intake.take(self.source, self.ledger, self.state_at, head, state)
        ran = await self.run_unfinished()
        self.metrics.finished(ran)
        if self.stop.is_set():
            log.info("stopping: the report waits for the next start")
            return PassResult(head, revision, (), ran, None, False)
        # 6. read back again when anything ran
        if ran:
            await self.readback(state.cores.values())
        # 7. the rows; 8. the report, committed and pushed when its content changed
        return await self.publish(self.judged, ran, head)

    async def poll(self) -> PassResult | None:
        """Fetch; run a pass when the source moved on or a request is unfinished, else None."""
        head = await asyncio.to_thread(self.source.fetch)
        if self.stop.is_set() or (head == self.tip and not self.ledger.unfinished()):
            return None
        return await self.run_pass(head)

    async def refresh(self) -> PassResult | None:
        """Steps 3, 7 and 8 on the declared state last judged (None before the first pass)."""
        if self.judged is None:
            return None
        await self.readback(self.judged.state.cores.values())
        return await self.publish(self.judged, (), self.tip or self.judged.head)

    async def publish(self, judged: Judged, ran: tuple[Run, ...], base: str) -> PassResult:
        """Steps 7 and 8: the rows, then the report committed on `base` if its content changed.

        A report push rejected because the branch moved leaves `tip` unknown, so that the next
        poll runs a whole pass on the new head.
        """
        state = judged.state
        found = rows(
            Inputs(state, self.ledger.records(), self.observations, self.clock(), self.interval)
        )
        self.metrics.counted_rows(found, state.cores)
        inputs = self.report_inputs(state, judged.revision, found, judged.refusal)
        commit, pushed = await asyncio.to_thread(
            write_report, self.source, base, state.settings.report_dir, inputs, self.config.identity
        )
        if commit is not None:
            self.metrics.report(pushed)
        self.tip = base if commit is None else (commit if pushed else None)
        return PassResult(judged.head, judged.revision, found, ran, commit, pushed, inputs)

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.config.readback_interval)

    async def state_at(self, revision: str) -> StateAt:
        """The declared state at a revision, read incrementally (see `declared`)."""
        if self.reader is None:
            self.reader = StateReader(self.source, counted=self.metrics.files)
        return await asyncio.to_thread(self.reader.state_at, revision)

    async def declared(self, head: str) -> tuple[DeclaredState, str, Refusal | None]:
        """The state to judge by and its revision: the newest commit outside the report folder."""
        found = await self.state_at(head)
        if isinstance(found, DeclaredState):
            report_dir = found.settings.report_dir
            revision = await asyncio.to_thread(self.source.last_change, head, report_dir)
            self.ledger.put(LAST_VALID, revision)
            return found, revision, None
        refusal = Refusal(head, tuple(str(problem) for problem in found.problems))
        log.warning("declared state at %s refused: %s", head[:12], found)
        last_valid = self.ledger.get(LAST_VALID)
        previous = await self.state_at(last_valid) if last_valid else None
        if isinstance(previous, DeclaredState) and last_valid:
            return previous, last_valid, refusal
        return DeclaredState(), head, refusal

    async def readback(self, cores: Iterable[Core]) -> dict[str, Observation]:
        chosen = list(cores)
        fresh = await self.pool.readback_all(chosen, self.observations, self.metrics.observed)
        self.observations.update(fresh)
        return fresh

    async def run_unfinished(self) -> tuple[Run, ...]:
        done = []
        for run in self.ledger.unfinished():
            if self.stop.is_set():
                break
            done.append(await (self.deploy(run) if run.kind is RunKind.DEPLOY else self.act(run)))
        return tuple(done)

    async def deploy(self, run: Run) -> Run:
        """A Deploy All: plan at the request's commit against a fresh readback, then apply."""
        state = await self.state_at(run.commit)
        assert isinstance(state, DeclaredState)
        resumed = run.state is RequestState.RUNNING
        run = replace(run, state=RequestState.RUNNING, started_at=run.started_at or self.clock())
        observations = await self.readback(state.cores.values())
        self.forget_undeclared(state)
        found = plan(state, self.ledger.records(), observations, run.commit)
        if run.expect_plan and not resumed and run.expect_plan != found.digest:
            note = (
                f"the plan is {found.digest} but the marker expects {run.expect_plan}; "
                "nothing was deployed"
            )
            return self.ledger.finish(
                replace(run, plan_digest=found.digest), RequestState.REFUSED, self.clock(), note
            )
        run = replace(run, plan_digest=run.plan_digest or found.digest)
        self.ledger.update(run)
        log.info("deploy %s: %d change(s) on %d Core(s)", run.id, found.changes, len(found.cores))
        job = deployer.Job(
            run.id,
            run.commit,
            state.settings.rollout,
            self.clock,
            self.stop,
            deployer.logged(run.id),
        )
        outcomes = await deployer.deploy(found.cores, self.client_for(state), self.ledger, job)
        intake.trust(self.ledger, state)
        return self.finish(replace(run, cores=outcomes))

    async def act(self, run: Run) -> Run:
        """A Core Action from a marker, on its target Cores."""
        state = await self.state_at(run.commit)
        assert isinstance(state, DeclaredState)
        assert run.pipeline is not None
        assert run.action is not None
        verb, pipeline = ActionVerb(run.action), run.pipeline
        run = replace(run, state=RequestState.RUNNING, started_at=run.started_at or self.clock())
        self.ledger.update(run)
        targets = [core for core in run.target_cores if core in state.cores]
        observations = await self.readback(state.cores[core] for core in targets)
        records = self.ledger.records()
        job = actions.ActionJob(verb, pipeline, records, observations, self.clock, self.ledger)
        outcomes = await actions.act(job, targets, self.client_for(state))
        return self.finish(replace(run, cores=outcomes))

    def finish(self, run: Run) -> Run:
        if any(core.reason == "shutdown" for core in run.cores):
            self.ledger.update(run)
            return run
        ok = all(core.outcome is Outcome.DONE for core in run.cores)
        return self.ledger.finish(
            run, RequestState.DONE if ok else RequestState.FAILED, self.clock()
        )

    def client_for(self, state: DeclaredState) -> Callable[[str], CoreClient]:
        return lambda name: self.pool.client(state.cores[name])

    def forget_undeclared(self, state: DeclaredState) -> None:
        records = self.ledger.records()
        known = set(records.owned) | {core for core, _pipeline in records.deployments}
        for core in sorted(known - set(state.cores)):
            log.warning(
                "core %s is no longer declared: its records are dropped, the Core is untouched",
                core,
            )
            self.ledger.forget_core(core)

    def report_inputs(
        self, state: DeclaredState, revision: str, found: tuple[Row, ...], refusal: Refusal | None
    ) -> ReportInputs:
        now = self.clock()
        records = self.ledger.records()
        cores = sorted(state.cores)
        return ReportInputs(
            revision=revision,
            rows=found,
            cores=cores,
            observations={
                core: self.observations[core] for core in cores if core in self.observations
            },
            now=now,
            interval=self.interval,
            unmanaged={core: unmanaged(state, records, self.observations, core) for core in cores},
            runs=self.ledger.recent(),
            refused=refusal,
        )
