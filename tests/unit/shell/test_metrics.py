"""The metrics listener (reconciler.shell.daemon.metrics): what /metrics says after events."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from reconciler.decide.model import ActionVerb
from reconciler.decide.outcomes import CoreOutcome, Outcome, RequestState, Run, RunKind
from reconciler.decide.report import report_of
from reconciler.decide.rows import Inputs
from reconciler.shell.daemon.metrics import Metrics
from reconciler.shell.listeners import Rows
from tests.support.world import BASE, INTERVAL, NOW, deployment, held, records, seen, specs

REPORT = report_of(
    Inputs(
        BASE,
        records(deployment("edge-1", "main")),
        {"edge-1": seen("edge-1", held(specs("main")))},
        NOW,
        INTERVAL,
    ),
    "rev-1",
)


def cli_run(run_id: str) -> Run:
    return Run(
        run_id, RunKind.ACTION, RequestState.DONE, "cli", "reconciler action", NOW, "stop main",
        pipeline="main", action=ActionVerb.STOP, cores=(CoreOutcome("edge-1", Outcome.DONE),),
        finished_at=NOW + timedelta(seconds=1),
    )  # fmt: skip


def test_rows_show_per_pipeline_with_labels_without_spaces() -> None:
    """One series per pipeline and status; every label value is free of spaces."""
    metrics = Metrics()
    metrics.heard(Rows(REPORT))
    text = metrics.exposition().decode()
    assert 'reconciler_pipeline_info{pipeline="main",status="ready-to-start"} 1.0' in text
    assert 'reconciler_rows{status="ready-to-start"} 1.0' in text
    assert not [value for value in re.findall(r'="([^"]*)"', text) if " " in value]


def test_build_and_process_figures_and_no_created_series() -> None:
    """Build info and the process collectors are there; `_created` series are not."""
    text = Metrics().exposition().decode()
    assert "reconciler_build_info{" in text
    assert "process_resident_memory_bytes" in text
    assert "_created" not in text


def test_command_line_actions_are_counted_once_when_first_seen() -> None:
    """Runs already there at the first pass are history; one that appears later counts once."""
    metrics = Metrics()
    metrics.heard(Rows(replace(REPORT, runs=(cli_run("cli-old"),))))
    metrics.heard(Rows(replace(REPORT, runs=(cli_run("cli-new"), cli_run("cli-old")))))
    metrics.heard(Rows(replace(REPORT, runs=(cli_run("cli-new"), cli_run("cli-old")))))
    text = metrics.exposition().decode()
    assert (
        'reconciler_action_outcomes_total{action="stop",core="edge-1",outcome="done"} 1.0' in text
    )
    assert 'reconciler_requests_total{kind="action",state="done"} 1.0' in text
