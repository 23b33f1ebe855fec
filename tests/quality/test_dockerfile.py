"""The container image's recipe, checked by reading it (no container engine runs here)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support.cores import free_port
from tests.support.daemon import DaemonProcess, base_env

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


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's CMD in exec form, `python` being this interpreter."""
    [healthcheck] = values("HEALTHCHECK")
    _options, _, command = healthcheck.partition(" CMD ")
    program, *arguments = json.loads(command)
    assert program == "python"
    return [sys.executable, *arguments]


def image_listen() -> str:
    found = re.search(r"RECONCILER_LISTEN=(\S+)", " ".join(values("ENV")))
    assert found is not None
    return found.group(1)


class ListeningByEnvironment(DaemonProcess):
    """A daemon told where to listen by `RECONCILER_LISTEN` alone, as the image tells it."""

    def command(self) -> list[str]:
        return [SCRIPT, "run", "--repo", self.source, "--state-dir", str(self.state)]


def test_healthcheck_asks_healthz_where_reconciler_listen_says() -> None:
    """HEALTHCHECK reads RECONCILER_LISTEN, whose port in the image is the one EXPOSE names."""
    [healthcheck] = values("HEALTHCHECK")
    [exposed] = values("EXPOSE")
    assert image_listen().rsplit(":", 1)[1] == exposed
    assert "RECONCILER_LISTEN" in healthcheck
    assert "/healthz" in healthcheck
    assert "9400" not in healthcheck, "the probe must not assume the default port"


def test_the_healthcheck_command_probes_a_daemon_listening_elsewhere(tmp_path: Path) -> None:
    """The HEALTHCHECK's own command passes against a daemon moved to another port, else fails."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    listen = f"{image_listen().rsplit(':', 1)[0]}:{free_port()}"
    daemon = ListeningByEnvironment.create(tmp_path / "daemon", str(origin), tmp_path / "state")
    daemon.env["RECONCILER_LISTEN"] = listen
    daemon.start()
    try:
        healthy, elsewhere = (probe(where) for where in (listen, f"127.0.0.1:{free_port()}"))
    finally:
        daemon.stop()

    assert daemon.url == f"http://{listen}"
    assert healthy.returncode == 0, healthy.stderr
    assert elsewhere.returncode != 0


def probe(listen: str) -> subprocess.CompletedProcess[str]:
    """The HEALTHCHECK's command, run with `RECONCILER_LISTEN` as the container would set it."""
    return subprocess.run(
        healthcheck_command(),
        env={**base_env(), "RECONCILER_LISTEN": listen},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


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
