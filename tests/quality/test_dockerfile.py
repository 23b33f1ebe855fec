"""The container image's recipe, checked by reading it (no container engine runs here)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(Path(sys.executable).parent / "reconciler")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def values(keyword: str) -> list[str]:
    return [rest for name, rest in instructions() if name == keyword]


def test_base_image_is_python_slim_with_git() -> None:
    """The image starts from a slim Python 3.11+ image and installs git."""
    [base] = values("FROM")
    assert re.fullmatch(r"python:3\.(1[1-9])-slim(-\w+)?", base), base
    assert any("apt-get install" in run and " git " in f"{run} " for run in values("RUN"))


def test_the_package_is_installed_from_the_repository() -> None:
    """pip installs the checkout itself, and every path copied in exists here."""
    assert any(re.search(r"pip install (--\S+ )*\.(\s|$)", run) for run in values("RUN"))
    for copy in values("COPY"):
        *sources, _target = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_it_runs_as_a_non_root_user() -> None:
    """The last USER before ENTRYPOINT is a named, non-root user."""
    order = [name for name, _ in instructions()]
    users = [rest for name, rest in instructions()[: order.index("ENTRYPOINT")] if name == "USER"]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_entrypoint_and_default_command() -> None:
    """`reconciler` is the entrypoint and `run --help` the default command, in exec form."""
    [entrypoint] = values("ENTRYPOINT")
    [command] = values("CMD")
    assert json.loads(entrypoint) == ["reconciler"]
    assert json.loads(command) == ["run", "--help"]
    done = subprocess.run(
        [SCRIPT, *json.loads(command)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "--repo" in done.stdout


def test_healthcheck_asks_healthz_where_the_daemon_listens() -> None:
    """HEALTHCHECK requests /healthz on the port the image's RECONCILER_LISTEN and EXPOSE name."""
    [healthcheck] = values("HEALTHCHECK")
    [exposed] = values("EXPOSE")
    listen = re.search(r"RECONCILER_LISTEN=\S+:(\d+)", " ".join(values("ENV")))
    assert listen is not None
    assert exposed == listen.group(1)
    assert f"127.0.0.1:{exposed}/healthz" in healthcheck


def test_no_secret_is_baked_into_the_image() -> None:
    """No ENV or ARG names a secret, nothing copied is a key or token, and the context is small."""
    for name, rest in instructions():
        if name in ("ENV", "ARG"):
            for assignment in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", rest) or [rest]:
                assert not SECRET_NAME.search(assignment), f"{name} {rest}"
        if name in ("COPY", "ADD"):
            assert not re.search(r"\.(token|pem|key)\b|\.git\b|\.env\b", rest), f"{name} {rest}"
    ignore = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignore[0] == "*", "the build context should leave everything out unless listed"
    assert not any(line.startswith("!.git") or line == "!." for line in ignore)
