"""Writing the report back into the repository without churn (SPEC §7).

Only files whose content changed are written; `pipelines.json` counts as unchanged when its
`content_digest` is, so volatile times alone never make a commit. The commit goes on top of the
fetched head as the bot identity and is pushed; a rejected push (someone pushed meanwhile)
returns `pushed=False`, and the caller builds the report again on the new head.

I/O module (the Git source). Blocking: run it in a worker thread.
"""

from __future__ import annotations

import json
import logging

from reconciler.decide.report import ReportInputs, report_files
from reconciler.errors import SourceUnavailable
from reconciler.shell.repo.source import GitSource, Identity

log = logging.getLogger(__name__)
MESSAGE = "reconciler: status report for {revision}"


def write_report(
    source: GitSource, head: str, report_dir: str, inputs: ReportInputs, identity: Identity
) -> tuple[str | None, bool]:
    """Commit and push the changed report files; (commit or None, whether it was pushed)."""
    files = {f"{report_dir}/{path}": text for path, text in report_files(inputs).items()}
    changed = {path: text for path, text in files.items() if not _same(source, head, path, text)}
    if not changed:
        return None, False
    message = MESSAGE.format(revision=inputs.revision[:12]) + "\n\n" + _summary(changed)
    commit = source.commit_files(head, changed, message, identity, inputs.now)
    pushed = source.push(commit)
    log.info(
        "report %s: %d file(s) %s", commit[:12], len(changed), "pushed" if pushed else "rejected"
    )
    return commit, pushed


def _same(source: GitSource, head: str, path: str, text: str) -> bool:
    existing = source.blob(head, path)
    if existing is None:
        return False
    if path.endswith("/pipelines.json"):
        return _digest(existing.decode("utf-8", "replace")) == _digest(text)
    return existing == text.encode("utf-8")


def _digest(text: str) -> str | None:
    try:
        found = json.loads(text).get("content_digest")
    except (ValueError, AttributeError):
        return None
    return str(found) if found else None


def _summary(changed: dict[str, str]) -> str:
    return "Updated:\n" + "\n".join(f"- {path}" for path in sorted(changed))


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

    def again(self, commit: str | None, pushed: bool) -> bool:
        """Whether a report commit's push must be answered by a pass at once (it was rejected)."""
        rejected = commit is not None and not pushed
        self.in_a_row = self.in_a_row + 1 if rejected else 0
        if self.in_a_row >= self.REFUSED_AFTER:
            raise SourceUnavailable(
                f"the report push was rejected {self.in_a_row} times in a row; the source "
                "refuses it (a protected branch, or the checked-out branch of a non-bare "
                "repository?): see the log"
            )
        if rejected:
            log.info("the report push was rejected; fetching again and building it on the new head")
        return rejected
