"""The shipped CI recipes run: their `run:` / `script:` lines, in a real clone of a pull request.

Each recipe is parsed as YAML; every command line is run with bash (`-e -o pipefail`, as the
hosts run them) in a clone whose branch changes an assignment, with the variables the host
would set. The install line is the one not run: the reconciler under test is on PATH already.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from reconciler.resources import data_path
from tests.support.fleet import SCRIPT
from tests.support.repos import commit_all, git, init_repo

RECIPES = data_path("example-repo")
WEB_ERRORS = "assignments/web-errors.yaml"


def pull_request(tmp_path: Path) -> tuple[Path, str, str]:
    """A bare origin of the example repository, and a clone whose branch changes an assignment:
    (clone, base commit, head commit)."""
    seed = tmp_path / "seed"
    shutil.copytree(RECIPES, seed)
    base = git(init_repo(seed), "rev-parse", "HEAD")
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(tmp_path / "origin.git"))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(work))
    git(work, "checkout", "-q", "-b", "assign-central")
    head_text = "apiVersion: reconciler/v1\nkind: Assignment\npipeline: web-errors\n"
    (work / WEB_ERRORS).write_text(head_text + "cores: [central-1]\n")
    head = commit_all(work, "web-errors on central-1")
    return work, base, head


def run_lines(lines: list[str], work: Path, env: dict[str, str]) -> None:
    bin_dir = str(Path(SCRIPT).parent)
    environment = {**os.environ, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    for line in lines:
        if line.startswith("pip install"):
            continue
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", line],
            cwd=work,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"


def expression(value: str, known: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: known[m.group(1)], value)


def test_github_workflow_posts_the_plan_as_job_summary(tmp_path: Path) -> None:
    """The workflow validates the head and writes the plan of the change to the job summary."""
    work, base, head = pull_request(tmp_path)
    workflow: dict[str, Any] = yaml.safe_load(
        (RECIPES / ".github/workflows/reconciler.yaml").read_text()
    )
    known = {"github.event.pull_request.head.sha": head, "github.event.pull_request.base.sha": base}
    summary = tmp_path / "summary.md"
    steps = [step for step in workflow["jobs"]["plan"]["steps"] if "run" in step]
    assert [step["name"] for step in steps][1:] == [
        "Validate the pull request's head",
        "Plan the change against the target branch",
    ]
    for step in steps:
        env = {k: expression(str(v), known) for k, v in step.get("env", {}).items()}
        run_lines([step["run"]], work, {**env, "GITHUB_STEP_SUMMARY": str(summary)})
    posted = summary.read_text()
    assert "| central-1 | `web-errors` | — | — |" in posted
    assert "Plan digest" in posted
    assert "Deployed state: from no report at" in posted


def test_gitlab_job_keeps_the_plan(tmp_path: Path) -> None:
    """The GitLab job fetches the target branch, validates and leaves plan.md for the MR page."""
    work, base, head = pull_request(tmp_path)
    git(work, "checkout", "-q", "--detach", head)
    recipe: dict[str, Any] = yaml.safe_load((RECIPES / ".gitlab-ci.yml").read_text())
    job = recipe["reconciler"]
    env = {
        "CI_COMMIT_SHA": head,
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        **{k: str(v) for k, v in job["variables"].items()},
    }
    run_lines(job["script"], work, env)
    assert job["artifacts"]["paths"] == ["plan.md"]
    plan = (work / "plan.md").read_text()
    assert "| central-1 | `web-errors` | — | — |" in plan
    assert "| edge-eu-1 | — | `web-errors` | — |" in plan
