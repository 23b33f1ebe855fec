"""A world for end-to-end tests: reference Cores, a bare origin, a person's clone, a state dir.

    fleet = Fleet.create(tmp_path, core_factory, ["edge-1", "edge-2"])
    fleet.edit("assignments/web.yaml", "...")      # in the person's clone
    fleet.push("assign web")                         # commit and push to the origin
    fleet.reconciler("deploy-all", str(fleet.work), "--reason", "go"); fleet.push_only()
    fleet.once()                                     # `reconciler once` as a subprocess
    fleet.row("web")["status"]                       # from status/pipelines.json at the origin

Every command runs the installed console script in a subprocess, the way a person would.
Core files point at the Cores with `{file: …}` tokens; the tokens are random per test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.cores import CoreProcess
from tests.support.daemon import TOKEN_DIRS
from tests.support.fixtures import CoreFactory
from tests.support.repos import CASES, commit_all, git, init_repo

TEMPLATE = CASES / "e2e" / "repo"
SCRIPT = str(Path(sys.executable).parent / "reconciler")
TOKEN_ENV = {"RECONCILER_TOKEN_DIRS": TOKEN_DIRS}


def core_yaml(core: CoreProcess, labels: dict[str, str] | None = None) -> str:
    label_text = "".join(f"\n  {k}: {v}" for k, v in (labels or {"tier": "edge"}).items())
    return (
        "apiVersion: reconciler/v1\nkind: Core\n"
        f"name: {core.name}\nurl: {core.url}\ntoken: {{file: {core.token_file}}}\n"
        f"labels:{label_text}\n"
    )


@dataclass
class Fleet:
    root: Path
    cores: dict[str, CoreProcess]
    origin: Path
    work: Path
    state: Path
    outputs: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path, factory: CoreFactory, names: Iterable[str]) -> Fleet:
        cores = {name: factory(name) for name in names}
        seed = root / "seed"
        shutil.copytree(TEMPLATE, seed)
        (seed / "cores").mkdir()
        for core in cores.values():
            (seed / "cores" / f"{core.name}.yaml").write_text(core_yaml(core))
        init_repo(seed)
        origin = root / "origin.git"
        git(root, "clone", "-q", "--bare", str(seed), str(origin))
        work = root / "work"
        git(root, "clone", "-q", str(origin), str(work))
        return cls(root, cores, origin, work, root / "state")

    # --- the person's side ---------------------------------------------------------------------

    def edit(self, path: str, text: str) -> None:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def push(self, message: str) -> str:
        """Commit everything in the clone and push it; returns the commit."""
        commit_all(self.work, message)
        self.push_only()
        return git(self.work, "rev-parse", "HEAD")

    def commit_only(self, message: str) -> str:
        """Commit everything in the clone without pushing; returns the new commit."""
        return commit_all(self.work, message)

    def push_only(self) -> None:
        git(self.work, "pull", "-q", "--rebase")
        git(self.work, "push", "-q", "origin", "HEAD:main")

    def assign(self, pipeline: str, cores: list[str]) -> None:
        head = "apiVersion: reconciler/v1\nkind: Assignment\n"
        self.edit(
            f"assignments/{pipeline}.yaml",
            f"{head}pipeline: {pipeline}\ncores: {json.dumps(cores)}\n",
        )

    def deploy_all(self, reason: str, *extra: str) -> subprocess.CompletedProcess[str]:
        """`reconciler deploy-all` in the clone, then push."""
        git(self.work, "pull", "-q", "--rebase")
        done = self.reconciler("deploy-all", str(self.work), "--reason", reason, *extra)
        self.push_only()
        return done

    # --- the reconciler ------------------------------------------------------------------------

    def reconciler(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [SCRIPT, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=self.env(),
        )
        self.outputs += [done.stdout, done.stderr]
        if check and done.returncode != 0:
            command = " ".join(args)
            raise AssertionError(
                f"reconciler {command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def env(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
        return {**{k: v for k, v in os.environ.items() if k in keep}, **TOKEN_ENV}

    def once(self) -> subprocess.CompletedProcess[str]:
        return self.reconciler("once", "--repo", str(self.origin), "--state-dir", str(self.state))

    def action(
        self, verb: str, pipeline: str, *extra: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        git(self.work, "pull", "-q", "--rebase")
        return self.reconciler(
            "action",
            verb,
            pipeline,
            "--repo",
            str(self.work),
            "--state-dir",
            str(self.state),
            *extra,
            check=check,
        )

    # --- what the origin says ------------------------------------------------------------------

    def origin_file(self, path: str) -> str:
        return git(self.origin, "show", f"main:{path}")

    def report(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.origin_file("status/pipelines.json"))
        return loaded

    def row(self, pipeline: str) -> dict[str, Any]:
        [found] = [row for row in self.report()["pipelines"] if row["pipeline"] == pipeline]
        return found

    def head(self) -> str:
        return git(self.origin, "rev-parse", "main")

    # --- what the Cores say ----------------------------------------------------------------------

    def components(self, core: str, kind: str) -> dict[str, dict[str, Any]]:
        with self.cores[core].client() as client:
            listed = client.get(kind).json()
        return {item["id"]: item for item in listed}
