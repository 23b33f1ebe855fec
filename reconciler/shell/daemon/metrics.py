"""The daemon's Prometheus metrics (`GET /metrics`): the first pass listener.

`Metrics.heard` turns pass events (`reconciler.shell.listeners`) into figures; nothing else in
the program calls prometheus-client. Every metric lives in the registry of one `Metrics`
object, not prometheus-client's global one, so two reconcilers in one process (tests, the
demo) never mix their figures. Names:

    reconciler_pass_duration_seconds                    histogram: passes that ran
    reconciler_passes_total{result}                     completed | unchanged | failed
    reconciler_pass_in_progress                         1 while a pass runs
    reconciler_triggers_total{source}                   watch | interval | webhook | retry | start
    reconciler_readback_rounds_total                    scheduled readback refreshes done
    reconciler_readback_errors_total{core,reason}       failed readbacks, by Core and reason code
    reconciler_readback_last_success_timestamp_seconds{core}
    reconciler_core_reachable{core}                     1 when the last readback succeeded
    reconciler_deploy_outcomes_total{core,outcome}      Deploy All work per Core: done, failed...
    reconciler_action_outcomes_total{action,core,outcome}
    reconciler_requests_total{kind,state}               finished requests: done, failed, refused...
    reconciler_rows{status}                             pipeline rows per status, zeros included
    reconciler_pipeline_info{pipeline,status}           1 per pipeline, labelled with its status
    reconciler_build_info{version,python}               1, labelled with what runs
    reconciler_report_commits_total{result}             pushed | rejected
    reconciler_files_parsed_total, reconciler_files_reused_total   incremental reading at work
    reconciler_source_up, reconciler_source_errors_total            the Git source
    reconciler_ready                                    1 once a pass completed and the source is up
    reconciler_leader                                   1 while this replica holds its lease
                                                        (with --shards: the report lease)
    reconciler_takeovers_total                          that lease taken from another replica
    reconciler_shard_held{shard}                        --shards: 1 while it holds the shard
    reconciler_shard_takeovers_total{shard}             --shards: shard leases taken over
    reconciler_webhook_deliveries_total{result}         accepted | refused
    reconciler_forge_requests_total{outcome}            ok | transient | rate-limited | refused
    reconciler_forge_retries_total                      Git host deliveries tried again
    process_*, python_*                                 the process's CPU, memory, files, GC

Status label values are slugs without spaces (`ready-to-start`, `drift-detected`, …), and no
`_created` series are exported. Core Actions run from the command line are counted with the
daemon's own (`reconciler_action_outcomes_total`, `reconciler_requests_total`) when a pass
first sees their record in the ledger.

I/O module (the clock, through prometheus-client's timestamps).
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from functools import partial

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from reconciler import __version__
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run, RunKind
from reconciler.decide.rows import Row, Status
from reconciler.shell import listeners

CONTENT_TYPE = CONTENT_TYPE_LATEST
_REMEMBERED_CLI_RUNS = 1000
_PASS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """One registry and the metrics in it; see the module docstring for the names."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client leaves it untyped
        registry = self.registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self._counted_cli: dict[str, None] | None = None
        """Command-line runs seen already (None before the first pass: those are history)."""
        counter = partial(Counter, registry=registry)
        gauge = partial(Gauge, registry=registry)
        self.pass_duration = Histogram(
            "reconciler_pass_duration_seconds",
            "Seconds one pass took, fetch to push",
            buckets=_PASS_BUCKETS,
            registry=registry,
        )
        self.passes = counter("reconciler_passes", "Passes by result", ["result"])
        self.pass_in_progress = gauge("reconciler_pass_in_progress", "1 while a pass runs")
        self.triggers = counter("reconciler_triggers", "Reasons to fetch", ["source"])
        self.readback_rounds = counter("reconciler_readback_rounds", "Readback refreshes done")
        self.readback_errors = counter(
            "reconciler_readback_errors", "Failed readbacks", ["core", "reason"]
        )
        self.readback_last_success = gauge(
            "reconciler_readback_last_success_timestamp_seconds",
            "When each Core last answered a readback (Unix time)",
            ["core"],
        )
        self.core_reachable = gauge("reconciler_core_reachable", "Last readback worked", ["core"])
        self.deploy_outcomes = counter(
            "reconciler_deploy_outcomes", "Deploy All work per Core", ["core", "outcome"]
        )
        self.action_outcomes = counter(
            "reconciler_action_outcomes", "Core Action work per Core", ["action", "core", "outcome"]
        )
        self.requests = counter("reconciler_requests", "Finished requests", ["kind", "state"])
        self.rows = gauge("reconciler_rows", "Pipeline rows per status", ["status"])
        self.pipelines = gauge(
            "reconciler_pipeline_info", "One per pipeline, with its status", ["pipeline", "status"]
        )
        build = gauge("reconciler_build_info", "What runs", ["version", "python"])
        build.labels(__version__, platform.python_version()).set(1)
        self.report_commits = counter("reconciler_report_commits", "Report commits", ["result"])
        self.files_parsed = counter("reconciler_files_parsed", "Declared-state files parsed")
        self.files_reused = counter("reconciler_files_reused", "Files whose parse was reused")
        self.source_up = gauge("reconciler_source_up", "1 when the last fetch worked")
        self.source_errors = counter("reconciler_source_errors", "Failed fetches or pushes")
        self.ready = gauge("reconciler_ready", "1 when ready (see /readyz)")
        self.leader = gauge("reconciler_leader", "1 while this replica holds its lease")
        self.takeovers = counter("reconciler_takeovers", "Leases taken from another replica")
        self.shard_held = gauge(
            "reconciler_shard_held", "1 while this replica holds the shard's lease", ["shard"]
        )
        self.shard_takeovers = counter(
            "reconciler_shard_takeovers", "Shard leases taken that had a holder before", ["shard"]
        )
        self.webhooks = counter("reconciler_webhook_deliveries", "Webhook deliveries", ["result"])
        self.forge_requests = counter(
            "reconciler_forge_requests", "Requests to the Git host, by outcome", ["outcome"]
        )
        self.forge_retries = counter("reconciler_forge_retries", "Git host deliveries retried")

    def heard(self, event: listeners.PassEvent) -> None:  # noqa: PLR0912 (one case per event)
        """Record what one pass event says."""
        match event:
            case listeners.Triggered(reason):
                self.triggers.labels(reason).inc()
            case listeners.PassStarted():
                self.pass_in_progress.set(1)
            case listeners.PassFinished(changed, seconds):
                self.pass_in_progress.set(0)
                self.passes.labels("completed" if changed else "unchanged").inc()
                if changed:
                    self.pass_duration.observe(seconds)
            case listeners.PassFailed():
                self.pass_in_progress.set(0)
                self.passes.labels("failed").inc()
            case listeners.Observed(observation):
                self.observed(observation)
            case listeners.FilesRead(parsed, reused):
                self.files_parsed.inc(parsed)
                self.files_reused.inc(reused)
            case listeners.RunsFinished(runs):
                self.finished(runs)
            case listeners.Rows(report):
                self.counted_rows(report.rows, report.cores)
                self.command_line_runs(report.runs)
            case listeners.ReportPushed(_commit, pushed):
                self.report_commits.labels("pushed" if pushed else "rejected").inc()
            case listeners.ReadbackRefreshed():
                self.readback_rounds.inc()
            case listeners.SourceFailed():
                self.pass_in_progress.set(0)
                self.passes.labels("failed").inc()
                self.source_errors.inc()
                self.source_up.set(0)
                self.ready.set(0)
            case listeners.SourceAnswered():
                self.source_up.set(1)
            case listeners.Readiness(ready):
                self.ready.set(1 if ready else 0)
            case listeners.Leadership() | listeners.ShardLease():
                self.leased(event)
            case listeners.WebhookReceived(accepted):
                self.webhooks.labels("accepted" if accepted else "refused").inc()
            case listeners.ForgeAnswered(outcome):
                self.forge_requests.labels(outcome).inc()
            case listeners.ForgeRetried():
                self.forge_retries.inc()

    def leased(self, event: listeners.Leadership | listeners.ShardLease) -> None:
        """A lease taken or lost: the replica's own, or with `--shards` a shard's."""
        match event:
            case listeners.Leadership(active, _epoch, takeover):
                self.leader.set(1 if active else 0)
                if takeover:
                    self.takeovers.inc()
            case listeners.ShardLease(shard, held, takeover):
                self.shard_held.labels(str(shard)).set(1 if held else 0)
                if takeover and held:
                    self.shard_takeovers.labels(str(shard)).inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)

    def observed(self, observation: Observation) -> None:
        """One Core's readback."""
        core = observation.core
        self.core_reachable.labels(core).set(1 if observation.reachable else 0)
        if observation.reachable and observation.last_seen is not None:
            self.readback_last_success.labels(core).set(observation.last_seen.timestamp())
        elif not observation.reachable:
            reason = observation.reason.value if observation.reason else "unreachable"
            self.readback_errors.labels(core, reason).inc()

    def finished(self, runs: Iterable[Run]) -> None:
        """Requests that ran in a pass: their per-Core outcomes and final states."""
        for run in runs:
            for core in run.cores:
                if run.kind is RunKind.DEPLOY:
                    self.deploy_outcomes.labels(core.core, core.outcome.value).inc()
                else:
                    action = run.action or "unknown"
                    self.action_outcomes.labels(action, core.core, core.outcome.value).inc()
            if run.state.finished:
                self.requests.labels(run.kind.value, run.state.value).inc()

    def counted_rows(self, rows: Iterable[Row], cores: Iterable[str]) -> None:
        """Rows per status now, and one series per pipeline; series of Cores no longer declared
        and of pipelines gone are dropped."""
        counts = dict.fromkeys(Status, 0)
        self.pipelines.clear()
        for row in rows:
            counts[row.status] += 1
            self.pipelines.labels(row.pipeline, slug(row.status)).set(1)
        for status, count in counts.items():
            self.rows.labels(slug(status)).set(count)
        keep = set(cores)
        for gauge in (self.core_reachable, self.readback_last_success):
            for core in _cores_in(gauge) - keep:
                gauge.remove(core)

    def command_line_runs(self, runs: Iterable[Run]) -> None:
        """Count the finished command-line actions a pass sees for the first time."""
        first = self._counted_cli is None
        seen = self._counted_cli = self._counted_cli or {}
        fresh = [r for r in runs if r.commit == "cli" and r.id not in seen]
        if not first:
            self.finished(fresh)
        for run in fresh:
            self._counted_cli[run.id] = None
        while len(self._counted_cli) > _REMEMBERED_CLI_RUNS:
            del self._counted_cli[next(iter(self._counted_cli))]


def slug(status: Status) -> str:
    """A status as a label value: `Ready to start` is `ready-to-start`."""
    return status.value.lower().replace(" ", "-")


def _cores_in(gauge: Gauge) -> set[str]:
    return {sample.labels["core"] for family in gauge.collect() for sample in family.samples}
