"""What the Git host is told, decided without talking to it: commit statuses and the plan comment.

- `validate_status`, `run_status`, `plan_status`: the commit status for a judged head, a run
  (Deploy All or Core Action) and a pull request's plan. A run maps to a state as: claimed or
  running `pending`; done `success`; failed `failure`; refused `failure` (the reason first);
  superseded `error` (it never ran, so it did not fail: the host shows it as neither green nor
  red, and the description names the newer request).
- `plan_comment`: the one comment on a pull request, split at the host's size limit into
  numbered parts, each led by the hidden marker that finds it again.
- `touches_declared`: whether a pull request's changed files touch the declared state.

Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconciler.decide.outcomes import RequestState, Run, RunKind
from reconciler.decide.plan import Plan

VALIDATE = "reconciler/validate"
DEPLOY = "reconciler/deploy"
PLAN = "reconciler/plan"
MARKER = "<!-- reconciler:plan -->"
"""The hidden line that leads the reconciler's comment (and its first part)."""
_PART_MARKER = "<!-- reconciler:plan part {index} -->"
_ELLIPSIS = "…"


class State(StrEnum):
    """A commit status state, in the reconciler's words; each host names them its own way."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Status:
    """One commit status: newest wins per (sha, context)."""

    sha: str
    context: str
    state: State
    description: str
    target_url: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sha, self.context)


def one_line(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters (an ellipsis says it was cut)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: max(0, limit - len(_ELLIPSIS))] + _ELLIPSIS


def validate_status(head: str, problems: Sequence[str], limit: int) -> Status:
    """`reconciler/validate` on a judged head: success, or failure with the first problem."""
    if not problems:
        return Status(head, VALIDATE, State.SUCCESS, "the declared state is valid")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    first = one_line(problems[0], max(0, limit - len(more)))
    return Status(head, VALIDATE, State.FAILURE, first + more)


_RUN_STATES = {
    RequestState.CLAIMED: State.PENDING,
    RequestState.RUNNING: State.PENDING,
    RequestState.DONE: State.SUCCESS,
    RequestState.FAILED: State.FAILURE,
    RequestState.REFUSED: State.FAILURE,
    RequestState.SUPERSEDED: State.ERROR,
}


def run_summary(run: Run) -> str:
    """One line on how a run stands, for a commit status."""
    what = "Deploy All" if run.kind is RunKind.DEPLOY else f"{run.action} {run.pipeline}"
    failed = sorted(core.core for core in run.cores if core.outcome.value != "done")
    match run.state:
        case RequestState.CLAIMED | RequestState.RUNNING:
            return f"{what} {run.id}: {run.state.value}"
        case RequestState.DONE:
            return f"{what} {run.id}: done on {len(run.cores)} Core(s)"
        case RequestState.FAILED:
            return f"{what} {run.id}: failed on {', '.join(failed) or 'some Cores'}"
        case RequestState.REFUSED:
            return f"refused: {run.note or 'no reason recorded'}"
        case RequestState.SUPERSEDED:
            return f"superseded: {run.note or 'a newer request ran instead'}"


def run_status(run: Run, limit: int, target_url: str | None = None) -> Status:
    """`reconciler/deploy` on a marker commit, for the run's state now."""
    state = _RUN_STATES[run.state]
    return Status(run.commit, DEPLOY, state, one_line(run_summary(run), limit), target_url)


def plan_status(sha: str, plan: Plan | None, problems: Sequence[str], limit: int) -> Status:
    """`reconciler/plan` on a pull request's head: what a Deploy All of it would do."""
    if plan is None:
        first = problems[0] if problems else "the declared state cannot be read"
        return Status(sha, PLAN, State.FAILURE, one_line(f"invalid: {first}", limit))
    blocked = sum(1 for core in plan.cores if core.blocked is not None)
    busy = sum(1 for core in plan.cores if core.operations)
    text = f"{plan.changes} change(s) on {busy} Core(s)"
    text += f", {blocked} blocked" if blocked else ""
    return Status(sha, PLAN, State.SUCCESS, one_line(f"{text}; {plan.digest}", limit))


def plan_body(markdown: str, head: str, digest: str | None) -> str:
    """The comment's text before splitting: the plan, then the line that pins it."""
    lines = [f"Plan of `{head[:12]}` against what is deployed now.", "", markdown.rstrip(), ""]
    if digest is not None:
        lines += [
            "To deploy exactly this after the merge, pin it in the deploy marker:",
            "",
            "```yaml",
            f"expect_plan: {digest}",
            "```",
        ]
    return "\n".join(lines) + "\n"


def plan_comment(body: str, limit: int) -> tuple[str, ...]:
    """The comment's parts: one when it fits in `limit` characters, else numbered parts.

    Each part starts with its marker line (the first with `MARKER`) and is at most `limit`
    characters; the text is cut at line ends when it can be, inside a line when one line alone
    is too long.
    """
    whole = f"{MARKER}\n{body}"
    if len(whole) <= limit:
        return (whole,)
    room = limit - len(part_header(99, 99))
    if room <= 0:
        raise ValueError(f"a comment limit of {limit} characters leaves no room for the plan")
    chunks = list(_chunks(body, room))
    total = len(chunks)
    return tuple(part_header(index, total) + chunk for index, chunk in enumerate(chunks, 1))


def part_header(index: int, total: int) -> str:
    """The lines that lead part `index` of `total`."""
    marker = MARKER if index == 1 else _PART_MARKER.format(index=index)
    return f"{marker}\n**Plan, part {index} of {total}**\n\n"


def part_index(body: str) -> int | None:
    """Which part a comment is (1 for the first or only one), or None when it is not ours."""
    first = body.split("\n", 1)[0].strip()
    if first == MARKER:
        return 1
    prefix, suffix = "<!-- reconciler:plan part ", " -->"
    if first.startswith(prefix) and first.endswith(suffix):
        number = first[len(prefix) : -len(suffix)]
        return int(number) if number.isdigit() and int(number) > 1 else None
    return None


def _chunks(text: str, room: int) -> Iterable[str]:
    chunk = ""
    for whole in text.splitlines(keepends=True):
        line = whole
        while len(line) > room:
            if chunk:
                yield chunk
                chunk = ""
            yield line[:room]
            line = line[room:]
        if len(chunk) + len(line) > room:
            yield chunk
            chunk = ""
        chunk += line
    if chunk:
        yield chunk


def touches_declared(paths: Iterable[str], report_dir: str) -> bool:
    """Whether any of `paths` is part of the declared state (YAML outside the report folder and
    outside dot folders)."""
    for path in paths:
        parts = path.split("/")
        if parts[0] == report_dir.strip("/") or any(part.startswith(".") for part in parts):
            continue
        if path.endswith((".yaml", ".yml")):
            return True
    return False
