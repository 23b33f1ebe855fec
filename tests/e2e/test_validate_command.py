"""`reconciler validate` as a person types it: the installed console script, real files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(Path(sys.executable).parent / "reconciler")


def run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_example_repository_is_valid() -> None:
    """The shipped example repository validates with exit code 0 and a summary."""
    done = run(SCRIPT, "validate", "example-repo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == (
        "example-repo: valid: 3 Core(s), 6 pipeline(s) (5 assigned), 12 connector(s), 5 task(s), "
        "2 query(ies), 10 stream(s)"
    )


def test_broken_copy_names_file_and_line(tmp_path: Path) -> None:
    """A broken copy exits 1 and names the file and line of each problem."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "example-repo", repo)
    pipeline = repo / "registry" / "pipelines" / "web-errors.yaml"
    pipeline.write_text(
        pipeline.read_text().replace("sinks: [web-errors-out]", "sinks: [web-error-out]")
    )

    done = run(SCRIPT, "validate", str(repo))

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "registry/pipelines/web-errors.yaml:6: Pipeline 'web-errors': sinks[0] refers to "
        "Connector 'web-error-out', which is not declared"
    ]
    assert "invalid: 1 problem(s) in 1 file(s)" in done.stderr


@pytest.mark.parametrize("args", [["validate", "--no-such-flag"], ["no-such-command"], []])
def test_usage_errors_exit_2(args: list[str]) -> None:
    """Unknown flags and commands are usage errors: exit 2 with a message on standard error."""
    done = run(SCRIPT, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: reconciler")


def test_wheel_carries_schemas_and_example(tmp_path: Path) -> None:
    """A built (non-editable) wheel finds its schemas and example repository on its own."""
    build = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)
    )
    assert build.returncode == 0, build.stderr
    [wheel] = tmp_path.glob("reconciler-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "reconciler/_data/schemas/connector.schema.json" in names
    assert "reconciler/_data/example-repo/cores/edge-eu-1.yaml" in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)

    code = "from reconciler.cli.main import main; raise SystemExit(main(['validate', 'example']))"
    shutil.copytree(ROOT / "example-repo", tmp_path / "example")
    done = run(
        sys.executable,
        "-I",
        "-c",
        f"import sys; sys.path.insert(0, {str(unpacked)!r}); {code}",
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid:" in done.stdout


def test_validate_loads_neither_git_nor_the_network_nor_the_database() -> None:
    """`validate` imports its own command only: no Core client, Git, PostgreSQL or web server.

    They cost more than validating a few hundred pipelines (reconciler.cli.main); a valid
    repository does not even load jsonschema, which only explains an invalid document.
    """
    probe = (
        "import sys; from reconciler.cli.main import main; code = main(['validate', "
        "'example-repo']); print(code, sorted(m for m in ('httpx', 'git', 'psycopg', "
        "'starlette', 'uvicorn', 'apscheduler', 'jsonschema') if m in sys.modules))"
    )
    done = run(sys.executable, "-c", probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"
