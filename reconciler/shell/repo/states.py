"""The declared state at a revision of the Git source, read incrementally (SPEC §7).

A pass reads only what changed since the revision read before it, where that is enough:

- When every path that changed between the two revisions lies in the report folder (the
  daemon's own report commits, above all), the declared state is the same: it is reused
  without reading or parsing anything.
- Otherwise the new tree is listed (names and blob ids only, which costs little) and a file whose
  blob id is the same as in the earlier read is neither read from the object database nor parsed
  again: its earlier bytes and per-file parse are reused. Only the assembly and the rules that
  span files (references, wiring) run on the whole state again, since one changed file can break
  a reference in another.
- With nothing read before (the first pass, a restart), the whole tree is read.

The caches hold one tree's files and parses (the last one read), so memory stays bounded by the
repository's size; states are kept for the last `KEEP_STATES` revisions (a revision never
changes). Invalid declared state is remembered as its `DeclarationError`.

I/O module (the Git source). Blocking: call `state_at` from a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.decide.declared import layout
from reconciler.decide.declared.documents import Limits
from reconciler.decide.declared.parse import (
    ParsedFile,
    RepoFile,
    StateAt,
    parse_file,
    parse_repository,
)
from reconciler.decide.model import DeclaredState
from reconciler.decide.trust import TokenPolicy
from reconciler.errors import DeclarationError
from reconciler.shell.repo.source import GitSource

KEEP_STATES = 32
Counter = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class _Read:
    """The last tree read in full: its revision, state, files and per-file parses."""

    revision: str
    state: StateAt
    files: dict[str, RepoFile]
    parsed: dict[tuple[str, str], ParsedFile]


class StateReader:
    """Declared states by revision; `counted(parsed, reused)` hears what each read cost."""

    def __init__(
        self,
        source: GitSource,
        limits: Limits = Limits(),
        counted: Counter | None = None,
        tokens: TokenPolicy = TokenPolicy(),
    ) -> None:
        self.source = source
        self.limits = limits
        self.counted = counted
        self.tokens = tokens
        self._states: dict[str, StateAt] = {}
        self._last: _Read | None = None

    def state_at(self, revision: str) -> StateAt:
        """The declared state at `revision` (a commit id), or why it is invalid."""
        if revision not in self._states:
            self._keep(revision, self._read(revision))
        return self._states[revision]

    def _keep(self, revision: str, state: StateAt) -> None:
        self._states[revision] = state
        while len(self._states) > KEEP_STATES:
            del self._states[next(iter(self._states))]

    def _read(self, revision: str) -> StateAt:
        last = self._last
        if last is not None and self._only_reports_changed(last, revision):
            self._last = _Read(revision, last.state, last.files, last.parsed)
            self._count(0, 0)
            return last.state
        files = self.source.files(revision, self.limits, last.files if last else None)
        earlier = last.parsed if last else {}
        parsed: dict[tuple[str, str], ParsedFile] = {}
        cost = {"parsed": 0, "reused": 0}

        def parse_one(repo_file: RepoFile) -> ParsedFile:
            key = (repo_file.path, repo_file.blob) if repo_file.blob else None
            found = earlier.get(key) if key else None
            cost["reused" if found else "parsed"] += 1
            if found is None:
                found = parse_file(repo_file, self.limits)
            if key:
                parsed[key] = found
            return found

        state: StateAt
        try:
            state = parse_repository(files, self.limits, parse_one, self.tokens)
        except DeclarationError as error:
            state = error
        self._last = _Read(revision, state, {f.path: f for f in files}, parsed)
        self._count(cost["parsed"], cost["reused"])
        return state

    def _only_reports_changed(self, last: _Read, revision: str) -> bool:
        report_dir = (
            last.state.settings.report_dir
            if isinstance(last.state, DeclaredState)
            else layout.DEFAULT_REPORT_DIR
        )
        changed = self.source.changed_paths(last.revision, revision)
        return all(layout.is_report(path, report_dir) for path in changed)

    def _count(self, parsed: int, reused: int) -> None:
        if self.counted is not None:
            self.counted(parsed, reused)
