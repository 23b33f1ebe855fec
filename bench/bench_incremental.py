"""Reading the declared state at a new head: the whole tree, against the daemon's incremental read.

A synthetic repository (`bench.synthetic`) is committed to a real Git repository, then three reads
of the newest head are measured side by side, each best of three:

1. whole: a fresh `StateReader` (what the first pass after a start does);
2. one file changed: a reader that read the previous commit, which changed one assignment;
3. report only: a reader that read the previous commit, which changed only `status/`.

Run: `python -m bench.bench_incremental [PIPELINES] [CORES]` (default 1000 pipelines, 50 Cores).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.synthetic import repository
from reconciler.shell.repo.source import GitSource
from reconciler.shell.repo.states import StateReader


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


def commit(work: Path, path: str, text: str) -> None:
    target = work / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"edit {path}")


def best_of(runs: int, prepare: Callable[[], StateReader], revision: str) -> float:
    """The quickest of `runs` reads of `revision`, each by a reader `prepare` made ready."""
    times = []
    for _ in range(runs):
        reader = prepare()
        started = time.perf_counter()
        reader.state_at(revision)
        times.append(time.perf_counter() - started)
    return min(times)


def main(pipelines: int = 1000, cores: int = 50) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    work = root / "work"
    work.mkdir()
    files = repository(pipelines, cores)
    for repo_file in files:
        (work / repo_file.path).parent.mkdir(parents=True, exist_ok=True)
        (work / repo_file.path).write_bytes(repo_file.data)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "synthetic")
    commit(work, "status/README.md", "# report\n")
    commit(work, "assignments/p0.yaml", files[cores + 4].data.decode().replace("s0", "s1"))
    commit(work, "status/README.md", "# report, again\n")
    source = GitSource(str(work), root / "state" / "source.git")
    source.fetch()
    revisions = git(work, "rev-list", "--reverse", "HEAD").split()

    def after(previous: str) -> Callable[[], StateReader]:
        def prepare() -> StateReader:
            reader = StateReader(source)
            reader.state_at(previous)
            return reader

        return prepare

    whole = best_of(3, lambda: StateReader(source), revisions[2])
    one_file = best_of(3, after(revisions[1]), revisions[2])
    report_only = best_of(3, after(revisions[2]), revisions[3])
    print(f"repository: {len(files)} files, {pipelines} pipelines, {cores} Cores, in Git\n")
    print(f"whole tree (first pass):     {whole:7.3f} s")
    for label, seconds in (("one file changed", one_file), ("report folder only", report_only)):
        print(f"{label + ':':<29}{seconds:7.3f} s   ratio {whole / seconds:6.1f}x")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
