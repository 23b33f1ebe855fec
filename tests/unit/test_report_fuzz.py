"""The report's Markdown holds its shape whatever the values say (hypothesis).

Component and Core names, Core versions and messages, run ids, authors, reasons, notes and
refusal problems are drawn from text full of `|`, newlines, `#`, backticks, `<script>` and
unicode. Whatever they hold, every table row keeps the header's columns (GitHub splits a row
at every `|` not preceded by a backslash), and no line starts a heading, a quote, a list or
HTML that the report's own template did not write.
"""

from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.decide.components import OpKind
from reconciler.decide.fragments import Fragments
from reconciler.decide.model import ActionVerb, ComponentKind
from reconciler.decide.observed import Observation, Reason, Runtime
from reconciler.decide.outcomes import (
    CoreOutcome,
    Outcome,
    OutcomeReason,
    RequestState,
    Run,
    RunKind,
    StepResult,
)
from reconciler.decide.report import Refusal, ReportInputs, report_files
from reconciler.decide.reportjson import RECENT_SHOWN, content_digest, json_text, pipelines_document
from reconciler.decide.rows import CellView, DeploymentState, Row, Status, Tag
from reconciler.decide.rowview import CALM
from reconciler.decide.runview import run_markdown
from tests.support.world import INTERVAL, NOW

NASTY = [
    "|", "\\|", "\\", "\n", "\r\n", "#", "## ", "> ", ">", "- ", "* ", "1. ", "=== ", "`", "```",
    "<script>", "</td>", "<!--", "&lt;", "*", "_", "~~", "[x](https://example.invalid)", "![i](y)",
    "\u202e", "\u2028", "\x00", "|---|", "東京", "é", " ", "\t", "\ud800",
]  # fmt: skip
nasty = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), max_size=8).map("".join)
maybe = st.none() | nasty

cells = st.builds(
    CellView,
    core=nasty,
    assigned=st.booleans(),
    deployment=st.sampled_from(DeploymentState),
    runtime=st.sampled_from(Runtime),
    deployed_revision=maybe,
    deployed_at=st.none() | st.just(NOW - timedelta(hours=1)),
    last_error=maybe,
)
table_rows = st.builds(
    Row,
    pipeline=nasty,
    status=st.sampled_from(Status),
    tags=st.lists(st.sampled_from(Tag), unique=True, max_size=3).map(tuple),
    cells=st.lists(cells, max_size=3).map(tuple),
    declared=st.booleans(),
)
steps = st.builds(
    StepResult,
    step=st.sampled_from(OpKind) | st.sampled_from(ActionVerb),
    kind=st.sampled_from(ComponentKind),
    name=nasty,
    outcome=st.sampled_from(Outcome),
    reason=st.none() | st.sampled_from(OutcomeReason),
    message=maybe,
)
outcomes = st.builds(
    CoreOutcome,
    core=nasty,
    outcome=st.sampled_from(Outcome),
    steps=st.lists(steps, max_size=3).map(tuple),
    reason=st.none() | st.sampled_from(OutcomeReason),
    message=maybe,
)
runs = st.builds(
    Run,
    id=nasty,
    kind=st.sampled_from(RunKind),
    state=st.sampled_from(RequestState),
    commit=nasty,
    author=nasty,
    requested_at=st.just(NOW - timedelta(minutes=5)),
    reason=nasty,
    plan_digest=maybe,
    expect_plan=maybe,
    pipeline=maybe,
    action=st.none() | st.sampled_from(ActionVerb),
    cores=st.lists(outcomes, max_size=2).map(tuple),
    note=maybe,
    started_at=st.just(NOW - timedelta(minutes=4)),
    finished_at=st.none() | st.just(NOW - timedelta(minutes=3)),
)

NAME = r"[a-z0-9][a-z0-9_.-]{0,62}"
REPORT_PATH = rf"(deployments|actions)/{NAME}\.(md|json)|inventory/{NAME}\.json"


@st.composite
def report_inputs(draw: st.DrawFn) -> ReportInputs:
    cores = draw(st.lists(nasty, unique=True, max_size=3))
    observations = {
        core: Observation(
            core,
            reachable=draw(st.booleans()),
            attempted_at=NOW,
            last_seen=draw(st.none() | st.just(NOW - timedelta(minutes=9))),
            version=draw(maybe),
            reason=draw(st.none() | st.sampled_from(Reason)),
            message=draw(maybe),
        )
        for core in cores
        if draw(st.booleans())
    }
    kinds = st.sampled_from(ComponentKind)
    unmanaged = {core: draw(st.lists(st.tuples(kinds, nasty), max_size=2)) for core in cores}
    refused = draw(st.none() | st.builds(Refusal, nasty, st.lists(nasty, max_size=22).map(tuple)))
    return ReportInputs(
        revision=draw(nasty),
        rows=tuple(draw(st.lists(table_rows, max_size=3))),
        cores=cores,
        observations=observations,
        now=NOW,
        interval=INTERVAL,
        unmanaged=unmanaged,
        runs=tuple(draw(st.lists(runs, max_size=4))),
        refused=refused,
    )


HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def separators(line: str) -> int:
    """The `|` that split a GitHub table row: those not preceded by a backslash."""
    return len(re.findall(r"(?<!\\)\|", line))


def tables_keep_their_columns(page: str) -> None:
    lines = page.split("\n")
    for number, line in enumerate(lines):
        if line.startswith("|") and number + 1 < len(lines) and lines[number + 1].startswith("|-"):
            columns = separators(line)
            body = number + 1
            while body < len(lines) and lines[body].startswith("|"):
                assert separators(lines[body]) == columns, (line, lines[body])
                body += 1


def headings(page: str) -> list[str]:
    return [line for line in page.split("\n") if HEADING.match(line)]


CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`).*?(?<!`)\1(?!`)")
"""A code span (GFM): HTML is literal inside one, so only what lies outside could be markup."""
LINK = re.compile(r"^\| \[(?:\\.|[^\\\]])*\]\(([^)]*)\)")
"""The link that opens a "Recent requests" row (any other `[` is escaped)."""


def no_html(page: str) -> None:
    """Outside code spans, no `<`, and a `>` only where the template opens a quote."""
    for line in page.split("\n"):
        markup = CODE_SPAN.sub("", line)
        assert "<" not in markup, line
        assert ">" not in markup[1:], line


@FUZZ
@given(report_inputs())
def test_readme_tables_keep_their_columns(inputs: ReportInputs) -> None:
    """Every row of every README table has exactly the header's number of cell separators."""
    tables_keep_their_columns(report_files(inputs)["README.md"])


@FUZZ
@given(report_inputs())
def test_readme_headings_are_the_reports_own(inputs: ReportInputs) -> None:
    """The README's headings are its sections and one per row needing attention, no others."""
    needing = [row for row in inputs.rows if row.status not in CALM or row.tags]
    expected = ["# Pipeline status", "## Management → Pipelines"]
    expected += ["## Needs attention"] * bool(needing) + ["### "] * len(needing) + ["## Cores"]
    expected += ["## Recent requests"] * bool(inputs.runs)
    found = headings(report_files(inputs)["README.md"])
    assert [line if line.startswith(("# ", "## ")) else "### " for line in found] == expected


@FUZZ
@given(report_inputs())
def test_readme_lines_start_only_as_the_template_does(inputs: ReportInputs) -> None:
    """Every README line starts as the template writes it: values never open a block or HTML."""
    readme = report_files(inputs)["README.md"]
    starts = ("# ", "## ", "### ", "| ", "|---", "> ", "Generated by the reconciler", "Summary: ")
    lines = [line for line in readme.split("\n") if line and line != ">"]
    assert all(line.startswith(starts) for line in lines), readme
    quoted = [line for line in lines if line.startswith(">")]
    problems = len(inputs.refused.problems) if inputs.refused else 0
    assert len(quoted) == (1 + min(problems, 20) + (problems > 20) if inputs.refused else 0)
    no_html(readme)


@FUZZ
@given(report_inputs())
def test_readme_links_only_to_safe_record_names(inputs: ReportInputs) -> None:
    """Every link in the README points at a run record the report writes, by a safe name."""
    files = report_files(inputs)
    rows = files["README.md"].split("\n")
    links = [found.group(1) for found in map(LINK.match, rows) if found]
    assert len(links) == min(len(inputs.runs), RECENT_SHOWN)
    for link in links:
        assert re.fullmatch(r"(deployments|actions)/[a-z0-9][a-z0-9_.-]{0,62}\.(md|json)", link)
        assert link in files


@FUZZ
@given(runs)
def test_run_pages_keep_their_shape(run: Run) -> None:
    """A run's page has one title, one heading per Core, whole table rows and no HTML."""
    page = run_markdown(run)
    tables_keep_their_columns(page)
    found = headings(page)
    assert [line.split(" ")[0] for line in found] == ["#"] + ["##"] * len(run.cores)
    no_html(page)


@FUZZ
@given(report_inputs())
def test_every_report_file_can_be_written(inputs: ReportInputs) -> None:
    """Every file is valid UTF-8 text under a safe path, whatever a Core or a marker sent."""
    files = report_files(inputs)
    for content in files.values():
        content.encode("utf-8")
    records = set(files) - {"README.md", "pipelines.json"}
    for path in records:
        assert re.fullmatch(REPORT_PATH, path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(report_inputs(), min_size=1, max_size=3))
def test_pieces_kept_between_reports_make_the_same_files(reports: list[ReportInputs]) -> None:
    """Reports made one after another with one `Fragments` are the reports made alone, and the
    pipelines.json text made from row pieces is the document as `json_text` writes it."""
    kept = Fragments()
    for inputs in reports:
        kept.rotate()
        alone = report_files(inputs)
        assert report_files(inputs, kept) == alone
        assert report_files(inputs, kept) == alone  # every piece made before this time
        document = pipelines_document(inputs)
        assert alone["pipelines.json"] == json_text(document)
        assert document["content_digest"] == content_digest(document)  # digested whole
