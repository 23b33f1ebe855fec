"""`pipelines.json`, the report for machines: its document, its text and its content digest.

The document is the rows and Cores as data (schema in `schemas/pipelines.schema.json`), with the
newest `RECENT_SHOWN` requests. Its text is spliced from each row's own text, made once per row
(`decide.fragments`), and so is its `content_digest`. Volatile values (`generated_at`, a
reachable Core's `last_seen`) are left out of that digest, so that a report commit happens only
when something a person cares about changed (`unchanged` is the test, and it trusts nothing the
file says about itself). Every string in it is valid Unicode. `decide.report` puts it beside the
README and the records. Pure module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from reconciler.decide import runview
from reconciler.decide.canonical import canonical_json
from reconciler.decide.diff import ComponentDrift
from reconciler.decide.fingerprint import digest
from reconciler.decide.fragments import Fragments
from reconciler.decide.observed import Observation
from reconciler.decide.rows import STALE_AFTER_INTERVALS, Row

VOLATILE = ("generated_at", "last_seen")
RECENT_SHOWN = 20
"""How many runs (newest first) the "Recent requests" table and `pipelines.json` list."""

if TYPE_CHECKING:
    from reconciler.decide.report import Refusal, ReportInputs


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
_ROWS_OPEN, _ROWS_CLOSE = '\n  "pipelines": [\n', "\n  ],\n"
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
    opened = _ROWS_OPEN + ",\n".join(entries) + _ROWS_CLOSE
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

    The rows hold no volatile value, and they are most of the file (18 MB at 10,000 pipelines
    on 500 Cores, parsed twice on every pass and every readback refresh): `written`'s block of
    rows must be in `existing` as it is, and only the rest is parsed. The block starts and ends
    with raw newlines, which no JSON string holds, so it is found only where it is structure.
    """
    if _claimed_digest(existing) != _claimed_digest(written):
        return False  # new content, or a file that lies about its own: written either way
    start = written.find(_ROWS_OPEN)
    if start >= 0:
        end = written.index(_ROWS_CLOSE, start) + len(_ROWS_CLOSE)
        block = written[start:end]
        found_at = existing.find(block)
        if found_at < 0:
            return False
        existing = existing[:found_at] + _ROWS_AT + existing[found_at + len(block) :]
        written = written[:start] + _ROWS_AT + written[end:]
    return _unchanged_apart_from_rows(existing, written)


def _unchanged_apart_from_rows(existing: str, written: str) -> bool:
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
