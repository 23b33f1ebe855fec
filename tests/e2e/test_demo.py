"""`reconciler demo` as a person meets it: started, driven through its printed steps, stopped."""

from __future__ import annotations

import functools
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cores import wait_until
from tests.support.demo import Demo, statuses

ASSIGNED = ("auth-detect", "central-alerts", "fw-drops", "syslog-archive", "web-errors")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    started = Demo(tmp_path)
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait()


def test_the_demo_walks_through_its_printed_steps_and_stops_on_ctrl_c(demo: Demo) -> None:
    """Assign, Deploy All, start, events, drift: every printed step works; SIGINT ends it."""
    steps = demo.steps()
    assert steps[0][0] == f"cd {demo.folder / 'work'}"
    exports = tuple(line for line in steps[0] if line.startswith("export "))
    assert exports[0].startswith(f"export RECONCILER_TOKEN_DIRS={demo.folder / 'cores'}")
    sh = functools.partial(demo.sh, exports=exports)

    def until(step: int, check: str, what: str) -> None:
        command = steps[step][-1]
        wait_until(lambda: check in sh(command), 30, 0.2, what)

    def until_status(step: int, wanted: dict[str, str]) -> None:
        command = steps[step][-1]

        def matches() -> bool:
            found = statuses(sh(command))
            return all(found.get(p) == s for p, s in wanted.items())

        wait_until(matches, 30, 0.2, f"step {step}: {wanted}")

    # 1: the first report, already in Git
    assert "Pending deployment" in sh(steps[1][0])
    until_status(1, dict.fromkeys(ASSIGNED, "Pending deployment"))
    # 2: assign web-errors to central-1 as well
    for command in steps[2][:-1]:
        sh(command)
    until(2, "central-1: missing", "web-errors assigned to central-1")
    # 3: Deploy All
    for command in steps[3][:-1]:
        sh(command)
    until_status(3, dict.fromkeys(ASSIGNED, "Ready to start"))
    # 4: start web-errors
    sh(steps[4][0])
    until_status(4, {"web-errors": "Running"})
    # 5: events flowing
    sh(steps[5][0])
    until(5, '"severity":"error"', "the filtered event on edge-eu-1")
    # 6: drift
    sh(steps[6][0])
    until_status(6, {"fw-drops": "Drift detected", "web-errors": "Running"})
    # 7: the daemon's report in Git says the same
    until(7, "| fw-drops | **Drift detected** |", "the drift in the report in Git")

    ports = [int(port) for port in re.findall(r"Core \S+\s+http://127.0.0.1:(\d+)", demo.printed())]
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(60) == 0
    assert "The demo stopped" in demo.out.read_text()
    assert len(ports) == 3
    for port in ports:
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
            pass
    assert (demo.folder / "origin.git").is_dir()
    assert (demo.folder / "cores" / "edge-eu-1" / "data" / "connectors.json").is_file()
