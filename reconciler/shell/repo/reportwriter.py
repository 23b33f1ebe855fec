"""Writing the report back into the repository without churn (SPEC §7).

The report folder is regenerated, never patched. Every file the report holds is compared, whole,
with what the folder has; any other file found there (a forged run record, an old record past
`RECORDS_KEPT`, a symlink, a submodule) is removed. `pipelines.json` counts as unchanged when
only its volatile values differ (`decide.reportjson.unchanged`, which recomputes everything from its
content and trusts no field of it), so volatile times alone never make a commit. The commit goes
on top of the fetched head as the bot identity and is pushed; a rejected push (someone pushed
meanwhile) returns `pushed=False`, and the caller builds the report again on the new head.

I/O module (the Git source). Blocking: run it in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from reconciler.decide.fragments import Fragments
from reconciler.decide.markdown import clean
from reconciler.decide.report import ReportInputs, report_files
from reconciler.decide.reportjson import unchanged
from reconciler.errors import SourceUnavailable
from reconciler.shell.repo.naming import Identity
from reconciler.shell.repo.source import GitSource, TreeFile

log = logging.getLogger(__name__)
MESSAGE = "reconciler: status report for {revision}"
LISTED = 50
"""How many paths of each kind the commit message names; the rest are counted."""


def write_report(
    source: GitSource,
    head: str,
    report_dir: str,
    inputs: ReportInputs,
    identity: Identity,
    *,
    fragments: Fragments | None = None,
) -> tuple[str | None, bool]:
    """Commit and push the changed report files; (commit or None, whether it was pushed).

    `fragments` are the pieces of the last report, kept by the caller (`decide.fragments`)."""
    made = report_files(inputs, fragments)
    files = {f"{report_dir}/{path}": text for path, text in made.items()}
    found = source.tree_files(head, report_dir)
    changed = {path: text for path, text in files.items() if not _holds(found.get(path), text)}
    data = f"{report_dir}/pipelines.json"
    if data in changed and _settled(source, head, found.get(data), data, changed[data]):
        del changed[data]
    removed = sorted(set(found) - set(files))
    if not changed and not removed:
        return None, False
    summary = _summary("Updated", sorted(changed)) + _summary("Removed", removed)
    message = MESSAGE.format(revision=inputs.revision[:12]) + "\n" + summary
    commit = source.commit_files(head, changed, message, identity, inputs.now, removed=removed)
    pushed = source.push(commit)
    log.info(
        "report %s: %d file(s) written, %d removed, %s",
        commit[:12],
        len(changed),
        len(removed),
        "pushed" if pushed else "rejected",
    )
    return commit, pushed


def _holds(entry: TreeFile | None, text: str) -> bool:
    return entry is not None and entry.holds(text)


def _settled(source: GitSource, head: str, entry: TreeFile | None, path: str, text: str) -> bool:
    """Whether the `pipelines.json` found differs from `text` in volatile values only."""
    if entry is None or not entry.plain:
        return False
    existing = (source.blob(head, path) or b"").decode("utf-8", "replace")
    return unchanged(existing, text)


def _summary(title: str, paths: Sequence[str]) -> str:
    """A paragraph of the commit message; a path found in the repository may hold anything, so
    each is shown on one line (a newline could otherwise forge a trailer)."""
    if not paths:
        return ""
    lines = [f"- {clean(path)}" for path in paths[:LISTED]]
    if len(paths) > LISTED:
        lines.append(f"- … and {len(paths) - LISTED} more")
    return f"\n{title}:\n" + "\n".join(lines) + "\n"


class PushRejections:
    """The one answer to a rejected report push, for `once` and the daemon alike.

    A rejection means the branch moved while the report was built (someone pushed meanwhile): it
    is answered at once by a pass on the new head, which builds the report again on top. The
    `REFUSED_AFTER`-th rejection in a row means the source refuses the push itself (a protected
    branch, the checked-out branch of a non-bare repository): a `SourceUnavailable`, which the
    daemon retries with backoff and `once` reports.
    """

    REFUSED_AFTER = 2

    def __init__(self) -> None:
        self.in_a_row = 0

    def again(self, commit: str | None, pushed: bool, why: str | None = None) -> bool:
        """Whether a report commit's push must be answered by a pass at once (it was rejected);
        `why` is what the source said, for the message when it refuses for good."""
        rejected = commit is not None and not pushed
        self.in_a_row = self.in_a_row + 1 if rejected else 0
        if self.in_a_row >= self.REFUSED_AFTER:
            said = f"; the source said: {why}" if why else ""
            raise SourceUnavailable(
                f"the report push was rejected {self.in_a_row} times in a row, so the source "
                "refuses it (a protected branch, or the checked-out branch of a non-bare "
                f"repository?){said}"
            )
        if rejected:
            log.info("the report push was rejected; fetching again and building it on the new head")
        return rejected
