"""The status reports written back into the repository (SPEC §7), built as file contents.

`status/README.md` is for people on a Git hosting page: the Management → Pipelines table, a
triage section for the rows that need someone, the Cores, and recent requests. `pipelines.json`
is the same for machines (schema in `schemas/pipelines.schema.json`). Runs get their own files,
and each Core its inventory of what was deployed there (`decide.inventory`).
How rows and runs read is in `rowview` and `runview`; this module puts the files together.

The report folder is regenerated, never patched: `report_files` is everything it holds, and the
writer removes any other file there. It keeps the records of the newest `RECORDS_KEPT` runs;
the README's "Recent requests" table and the `requests` of `pipelines.json` list the newest
`RECENT_SHOWN` of them. Every value from Git, the ledger or a Core that reaches a Markdown page
goes through `decide.markdown`; every string in a JSON file is valid Unicode.

Volatile values (`generated_at`, a reachable Core's `last_seen`) live only in `pipelines.json`
and are left out of its `content_digest`; the README shows no volatile value at all, so that a
report commit happens only when something a person cares about changed (`unchanged` is the
test, and it trusts nothing the file says about itself). Pure module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from reconciler.decide import rowview, runview
from reconciler.decide.canonical import canonical_json
from reconciler.decide.components import Key
from reconciler.decide.diff import ComponentDrift
from reconciler.decide.fingerprint import digest
from reconciler.decide.fragments import Fragments
from reconciler.decide.inventory import inventories
from reconciler.decide.markdown import code, text
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run, RunKind
from reconciler.decide.records import Records
from reconciler.decide.rows import STALE_AFTER_INTERVALS, Inputs, Row, Status, rows
from reconciler.decide.runview import when
from reconciler.decide.unmanaged import unmanaged_by_core

VOLATILE = ("generated_at", "last_seen")
RECORDS_KEPT = 200
"""How many runs (newest first) keep their records in the report folder. Older records are
removed from it; they live on in Git history and in the ledger."""
RECENT_SHOWN = 20
"""How many runs (newest first) the "Recent requests" table and `pipelines.json` list."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A newer revision that was not accepted, and why."""

    revision: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportInputs:
    revision: str
    rows: tuple[Row, ...]
    cores: Sequence[str]
    observations: Mapping[str, Observation]
    now: datetime
    interval: timedelta
    unmanaged: Mapping[str, Sequence[Key]] = field(default_factory=dict)
    runs: Sequence[Run] = ()
    refused: Refusal | None = None
    records: Records = field(default_factory=Records)
    """What the rows were judged by; written as each Core's inventory (`decide.inventory`)."""


def report_of(
    inputs: Inputs,
    revision: str,
    runs: Sequence[Run] = (),
    refused: Refusal | None = None,
    made: tuple[Row, ...] | None = None,
) -> ReportInputs:
    """What a report is built from, all derived from the rows' inputs (one `now`, one ledger
    read): the daemon, `once` and `reconciler status` build their reports through this.
    `made` are `rows(inputs)` when the caller has them already (`decide.rowmemo`)."""
    cores = sorted(inputs.state.cores)
    seen = inputs.observations
    return ReportInputs(
        revision=revision,
        rows=rows(inputs) if made is None else made,
        cores=cores,
        observations={core: seen[core] for core in cores if core in seen},
        now=inputs.now,
        interval=inputs.interval,
        unmanaged=unmanaged_by_core(inputs.state, inputs.records, seen),
        runs=tuple(runs),
        refused=refused,
        records=inputs.records,
    )


def report_files(inputs: ReportInputs, fragments: Fragments | None = None) -> dict[str, str]:
    """Every file of the report folder, by path relative to it: nothing else belongs there.

    `fragments` holds the pieces of earlier reports (`decide.fragments`); the files are the same
    with it or without it."""
    made = fragments or Fragments()
    files = {"pipelines.json": pipelines_text(inputs, made), "README.md": readme(inputs, made)}
    for path, inventory in inventories(inputs.records, inputs.cores).items():
        files[path] = json_text(valid_unicode(inventory))
    for run in inputs.runs[:RECORDS_KEPT]:
        record = valid_unicode(runview.run_document(run))
        files[runview.record_path(run, "json")] = json_text(record)
        if run.kind is RunKind.DEPLOY:
            files[runview.record_path(run, "md")] = runview.run_markdown(run)
    return files


def json_text(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def valid_unicode(value: Any) -> Any:
    """`value` with every string one that UTF-8 can hold: a lone surrogate (a Core can send one
    as a JSON escape) becomes `?` instead of failing the digest or the commit."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {key: valid_unicode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [valid_unicode(item) for item in value]
    return value


def pipelines_document(inputs: ReportInputs, fragments: Fragments | None = None) -> dict[str, Any]:
    """`pipelines.json`: the rows and Cores as data, with a digest of what is not volatile.

    With `fragments`, the document of the same inputs is made once, and each row's entry once;
    the document is shared then: read it, never change it."""
    made = fragments or Fragments()
    return made.made("document", inputs, partial(_document, inputs, made))


def _document(inputs: ReportInputs, made: Fragments) -> dict[str, Any]:
    document: dict[str, Any] = {
        "revision": inputs.revision,
        "generated_at": inputs.now.isoformat(),
        "refused": _refusal_document(inputs.refused),
        "pipelines": [],
        "cores": [_core_document(inputs, core) for core in inputs.cores],
        "requests": [runview.run_summary(run) for run in inputs.runs[:RECENT_SHOWN]],
    }
    rollback = runview.rollback_document(inputs.runs)
    if rollback is not None:
        document["rollback"] = rollback
    document = valid_unicode(document)
    document["pipelines"] = [
        made.made("entry", row, partial(_row_entry, row)) for row in inputs.rows
    ]
    document["content_digest"] = _content_digest(document, inputs.rows, made)
    return document


_ROWS_AT = '\n  "pipelines": [],\n'
"""Where the rows go in the text of a `pipelines.json` written without them: a top-level key,
on a line of its own (a newline inside a JSON string is escaped, so nothing else looks so)."""


def pipelines_text(inputs: ReportInputs, fragments: Fragments | None = None) -> str:
    """`json_text(pipelines_document(inputs))`, each row's text made once (in `fragments`)."""
    made = fragments or Fragments()
    document = pipelines_document(inputs, made)
    if not document["pipelines"]:
        return json_text(document)
    entries = [
        made.made("entry text", row, partial(_indented, entry))
        for row, entry in zip(inputs.rows, document["pipelines"], strict=True)
    ]
    framed = json_text({**document, "pipelines": []})
    opened = '\n  "pipelines": [\n' + ",\n".join(entries) + "\n  ],\n"
    return framed.replace(_ROWS_AT, opened, 1)


def _row_entry(row: Row) -> dict[str, Any]:
    return valid_unicode(_row_document(row))  # type: ignore[no-any-return]


def _indented(entry: Mapping[str, Any]) -> str:
    """One row's entry as `json_text` writes it inside the top-level `pipelines` list."""
    # split at "\n" alone: JSON escapes it inside strings, but not U+2028, a line break to
    # str.splitlines (and so to textwrap)
    lines = json.dumps(entry, indent=2, ensure_ascii=False).split("\n")
    return "\n".join("    " + line for line in lines)


def content_digest(document: Mapping[str, Any]) -> str:
    """The digest of a `pipelines.json` document without its volatile values."""
    return digest(_stable(document))


def _stable(document: Mapping[str, Any]) -> dict[str, Any]:
    stable = {
        key: value for key, value in document.items() if key not in (*VOLATILE, "content_digest")
    }
    stable["cores"] = [
        {key: value for key, value in core.items() if key not in VOLATILE}
        for core in document.get("cores", [])
    ]
    return stable


_ROWS_HELD = "\x00rows"
"""What stands for the rows while the rest of the document is serialised: no value of ours is
this string, and a string from outside cannot end the quotes it is in."""


def _content_digest(document: Mapping[str, Any], rows: Sequence[Row], made: Fragments) -> str:
    """`content_digest(document)`, each row's canonical JSON made once (in `made`)."""
    stable = _stable(document)
    entries = stable.pop("pipelines")
    stable["pipelines"] = _ROWS_HELD
    framed = canonical_json(stable)
    held = canonical_json({"pipelines": _ROWS_HELD})[1:-1]
    canonical = [
        made.made("entry json", row, partial(canonical_json, entry))
        for row, entry in zip(rows, entries, strict=True)
    ]
    whole = framed.replace(held, '"pipelines":[' + ",".join(canonical) + "]", 1)
    return "sha256:" + hashlib.sha256(whole.encode("utf-8")).hexdigest()


def unchanged(existing: str, written: str) -> bool:
    """Whether `pipelines.json` as found in the repository (`existing`) already says what this
    report would write (`written`), so that writing it would change only volatile values.

    Nothing the file says about itself is trusted, its `content_digest` field included: apart
    from its volatile values it must be exactly `written` (so its content, digested again, is
    the new content, and the digest it carries is that digest). Each volatile value it keeps
    must be a time this report could have written: no later than the new `generated_at`, and
    only where `written` has a time too.
    """
    if _claimed_digest(existing) != _claimed_digest(written):
        return False  # new content, or a file that lies about its own: written either way
    try:
        found = json.loads(existing)
    except ValueError:
        return False
    fresh: dict[str, Any] = json.loads(written)
    cores = found.get("cores") if isinstance(found, dict) else None
    if not isinstance(cores, list) or len(cores) != len(fresh["cores"]):
        return False
    now = datetime.fromisoformat(fresh["generated_at"])
    fresh["generated_at"] = _kept_time(found.get("generated_at"), fresh["generated_at"], now)
    for old, new in zip(cores, fresh["cores"], strict=True):
        if isinstance(old, dict) and new["reachable"] and new["last_seen"] is not None:
            new["last_seen"] = _kept_time(old.get("last_seen"), new["last_seen"], now)
    return json_text(fresh) == existing


def _claimed_digest(text: str) -> str | None:
    """The last `content_digest` a JSON text carries, found without parsing it: a quote inside
    a JSON string is escaped, so this key and its value can only be what they look like."""
    at = text.rfind('"content_digest": "')
    if at < 0:
        return None
    start = at + len('"content_digest": "')
    end = text.find('"', start)
    return text[start:end] if end >= 0 else None


def _kept_time(old: Any, new: str, now: datetime) -> str:
    """The volatile time `old` when it is one this report could have written, else `new`."""
    if not isinstance(old, str):
        return new
    try:
        moment = datetime.fromisoformat(old)
    except ValueError:
        return new
    if moment.tzinfo is None or moment.isoformat() != old or moment > now:
        return new
    return old


def _refusal_document(refused: Refusal | None) -> dict[str, Any] | None:
    if refused is None:
        return None
    return {"revision": refused.revision, "problems": list(refused.problems)}


def _row_document(row: Row) -> dict[str, Any]:
    return {
        "pipeline": row.pipeline,
        "status": row.status.value,
        "tags": [tag.value for tag in row.tags],
        "declared": row.declared,
        "cores": [
            {
                "core": cell.core,
                "assigned": cell.assigned,
                "deployment": cell.deployment.value,
                "runtime": cell.runtime.value,
                "deployed_revision": cell.deployed_revision,
                "deployed_at": cell.deployed_at.isoformat() if cell.deployed_at else None,
                "last_error": cell.last_error,
                "drift": [drift_document(component) for component in cell.drift],
            }
            for cell in row.cells
        ],
    }


def drift_document(component: ComponentDrift) -> dict[str, Any]:
    """One drifted component as data: which, whether missing, and every field that differs."""
    return {
        "kind": component.kind.value,
        "name": component.name,
        "missing": component.missing,
        "fields": [
            {"path": f.path, "deployed": f.expected, "observed": f.held, "absent": f.absent}
            for f in component.fields
        ],
    }


def _core_document(inputs: ReportInputs, core: str) -> dict[str, Any]:
    observation = inputs.observations.get(core)
    last_seen = observation.last_seen if observation else None
    return {
        "name": core,
        "reachable": bool(observation and observation.reachable),
        "last_seen": last_seen.isoformat() if last_seen else None,
        "version": observation.version if observation else None,
        "problem": core_problem(inputs, observation),
        "unmanaged_components": [
            f"{kind.value}/{name}" for kind, name in inputs.unmanaged.get(core, [])
        ],
    }


def core_problem(inputs: ReportInputs, observation: Observation | None) -> str | None:
    """Why a Core is not read back as it should be (None when it is): for reports and pages."""
    if observation is None:
        return "not read back yet"
    if not observation.reachable:
        reason = observation.reason.value if observation.reason else "unreachable"
        return f"{reason}: {observation.message}" if observation.message else reason
    if (
        observation.last_seen
        and inputs.now - observation.last_seen > STALE_AFTER_INTERVALS * inputs.interval
    ):
        return "readback stale"
    return None


def readme(inputs: ReportInputs, fragments: Fragments | None = None) -> str:
    """`README.md`: the tables people read on the Git hosting page."""
    parts = [_header(inputs), _refusal(inputs.refused)]
    parts += [runview.rollback_note(inputs.runs, inputs.revision)]
    parts += [rowview.pipelines_table(inputs.rows, fragments)]
    parts += [rowview.triage(inputs.rows, fragments), _cores_table(inputs)]
    parts += [runview.runs_table(inputs.runs[:RECENT_SHOWN])]
    return "\n".join(part for part in parts if part)


def _header(inputs: ReportInputs) -> str:
    counts: dict[Status, int] = {}
    for row in inputs.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = " · ".join(f"{count} {status.value}" for status, count in counts.items())
    return (
        "# Pipeline status\n\n"
        "Generated by the reconciler; do not edit. "
        f"Declared state at {code(inputs.revision[:12])} · {len(inputs.rows)} pipeline(s) · "
        f"{len(inputs.cores)} Core(s)" + (f"\n\nSummary: {summary}" if summary else "") + "\n"
    )


def _refusal(refused: Refusal | None) -> str:
    if refused is None:
        return ""
    lines = [
        f"> **Declared state refused.** Commit {code(refused.revision[:12])} is invalid "
        f"({len(refused.problems)} problem(s)); the last valid state stays in force.",
        ">",
    ]
    lines += [f"> - {code(problem)}" for problem in refused.problems[:20]]
    if len(refused.problems) > 20:
        lines.append(f"> - … and {len(refused.problems) - 20} more (`reconciler validate`)")
    return "\n".join(lines) + "\n"


def _cores_table(inputs: ReportInputs) -> str:
    lines = [
        "## Cores\n",
        "| Core | Reachable | Last seen | Version | Unmanaged components |",
        "|---|---|---|---|---|",
    ]
    lines += [_core_line(inputs, core) for core in inputs.cores]
    return "\n".join(lines) + "\n"


def _core_line(inputs: ReportInputs, core: str) -> str:
    """One Core; its last-seen time is shown only when it is not current (so it never churns)."""
    observation = inputs.observations.get(core)
    problem = core_problem(inputs, observation)
    reachable = bool(observation and observation.reachable)
    if not reachable:
        shown = f"**no**: {text(problem or '')}"
    else:
        shown = f"yes ({text(problem)})" if problem else "yes"
    if reachable and problem is None:
        seen = "current"
    else:
        seen = when(observation.last_seen) if observation and observation.last_seen else "never"
    version = text(observation.version or "") if observation else ""
    names = [
        code(f"{kind.value}/{name}", cell=True) for kind, name in inputs.unmanaged.get(core, [])
    ]
    return f"| {text(core)} | {shown} | {seen} | {version or '—'} | {', '.join(names) or '—'} |"
