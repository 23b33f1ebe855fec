"""The registry survives restarts and crashes; components come back stopped; bad files refuse."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

COMPONENTS: list[tuple[str, dict[str, Any]]] = [
    ("streams", {"name": "keep-in", "wal": True, "retention": "1d", "metadata": {"rev": "abc"}}),
    ("streams", {"name": "keep-out", "backpressure": "timeout"}),
    ("queries", {"name": "keep-q", "pdl": 'a = "b*"', "description": "kept"}),
    (
        "connectors",
        {
            "name": "keep-src",
            "type": "source",
            "class": "file",
            "stream": "keep-in",
            "config": {"path": "in.log"},
        },
    ),
    (
        "tasks",
        {
            "name": "keep-task",
            "mode": "detection",
            "source_stream": "keep-in",
            "sink_streams": ["keep-out"],
            "query_ids": ["keep-q"],
        },
    ),
]


def snapshot(client: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    """Every collection, without runtime state."""
    runtime = {"state", "error"}
    return {
        kind: [
            {k: v for k, v in body.items() if k not in runtime} for body in client.get(kind).json()
        ]
        for kind in ("streams", "connectors", "tasks", "queries")
    }


def test_registry_survives_sigkill_and_components_come_back_stopped(
    core_factory: CoreFactory,
) -> None:
    """After SIGKILL and a restart on the same data directory, everything is there, stopped."""
    core = core_factory("durable")
    with core.client() as client:
        for kind, body in COMPONENTS:
            client.post(kind, json=body).raise_for_status()
        client.post("connectors/keep-src/start").raise_for_status()
        client.post("tasks/keep-task/start").raise_for_status()
        before = snapshot(client)
    core.kill()
    core.start()
    with core.client() as client:
        assert snapshot(client) == before
        status = client.get("status").json()
    assert [(c["id"], c["state"]) for c in status["connectors"]] == [("keep-src", "stopped")]
    assert [(t["id"], t["state"]) for t in status["tasks"]] == [("keep-task", "stopped")]


def test_registry_files_are_json_lists(core_factory: CoreFactory) -> None:
    """Each kind is its own JSON file in the data directory, holding a list of bodies."""
    core = core_factory("files")
    with core.client() as client:
        for kind, body in COMPONENTS:
            client.post(kind, json=body).raise_for_status()
    for kind in ("streams", "connectors", "tasks", "queries"):
        stored = json.loads((core.data_dir / f"{kind}.json").read_text())
        assert [body["name"] for body in stored] == sorted(
            b["name"] for k, b in COMPONENTS if k == kind
        )
        assert all("created_at" in body and "state" not in body for body in stored)
    assert not list(core.data_dir.glob(".*.json.*")), "no temporary files are left behind"
    assert core.stop() == 0, "SIGTERM is a clean exit"


def test_unreadable_registry_file_stops_the_start(tmp_path: Path) -> None:
    """A corrupt registry file makes `core serve` exit 2 with a sentence naming the file."""
    core = CoreProcess.create(tmp_path / "broken", "broken")
    core.data_dir.mkdir(parents=True)
    (core.data_dir / "tasks.json").write_text('[{"name": "t", "mode": "nonsense"}]')
    result = subprocess.run(core.command(), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert f"registry file {core.data_dir / 'tasks.json'} holds an invalid entry" in result.stderr


def test_generated_token_is_private_and_never_logged(core_factory: CoreFactory) -> None:
    """Without --token-file the Core writes a random token to data/token (0600), logs the path."""
    core = core_factory("self-made", generate_token=True)
    assert stat.S_IMODE(core.token_file.stat().st_mode) == 0o600
    with core.client() as client:
        assert client.get("health").status_code == 200
    assert str(core.token_file) in core.log_text()
    core.restart()
    assert core.token_file.read_text().strip() == core.token, "the token is kept across restarts"
    assert core.token not in core.log_text()
