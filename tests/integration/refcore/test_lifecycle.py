"""Start, stop and restart of connectors and tasks on a real Core, and what state they end in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory
from tests.support.protocol import assert_error, assert_valid


def file_connector(name: str, type_: str, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": type_,
        "class": "file",
        "stream": "life",
        "config": {"path": path},
        **extra,
    }


@pytest.fixture(scope="module")
def core(module_core_factory: CoreFactory) -> CoreProcess:
    core = module_core_factory("life")
    with core.client() as client:
        client.post("streams", json={"name": "life"}).raise_for_status()
    return core


@pytest.fixture
def client(core: CoreProcess) -> Iterator[httpx.Client]:
    with core.client() as client:
        yield client


def test_actions_are_idempotent(client: httpx.Client) -> None:
    """Start of a running component and stop of a stopped one answer 200 and change nothing."""
    client.post("connectors", json=file_connector("idem", "sink", "idem.jsonl")).raise_for_status()
    for verb, state in [
        ("start", "running"),
        ("start", "running"),
        ("restart", "running"),
        ("stop", "stopped"),
        ("stop", "stopped"),
    ]:
        response = client.post(f"connectors/idem/{verb}")
        assert response.status_code == 200
        assert_valid("Connector", response.json())
        assert (response.json()["state"], response.json()["error"]) == (state, None)


def test_running_component_cannot_be_deleted(client: httpx.Client) -> None:
    """Deleting a running connector is 409 running; stopped, it goes."""
    client.post("connectors", json=file_connector("busy", "sink", "busy.jsonl")).raise_for_status()
    client.post("connectors/busy/start").raise_for_status()
    assert_error(client.delete("connectors/busy"), 409, "running")
    client.post("connectors/busy/stop").raise_for_status()
    assert client.delete("connectors/busy").status_code == 204


def test_running_task_cannot_be_deleted(client: httpx.Client) -> None:
    """Deleting a running task is 409 running too."""
    task = {
        "name": "busy-task",
        "mode": "processing",
        "source_stream": "life",
        "sink_streams": ["life"],
        "query": "a = 1",
    }
    client.post("tasks", json=task).raise_for_status()
    assert client.post("tasks/busy-task/start").json()["state"] == "running"
    assert_error(client.delete("tasks/busy-task"), 409, "running")
    client.post("tasks/busy-task/stop").raise_for_status()
    assert client.delete("tasks/busy-task").status_code == 204


def test_disabled_connector_does_not_start(client: httpx.Client) -> None:
    """A connector with enabled: false refuses start with 409 disabled."""
    client.post(
        "connectors", json=file_connector("off", "sink", "off.jsonl", enabled=False)
    ).raise_for_status()
    assert_error(client.post("connectors/off/start"), 409, "disabled")
    assert client.get("connectors/off").json()["state"] == "stopped"


@pytest.mark.parametrize(
    ("class_", "type_", "config"),
    [
        ("kafka", "source", {"bootstrap_servers": "k:9092", "topic": "t", "group_id": "g"}),
        ("object_storage", "sink", {"bucket": "b"}),
        ("splunk", "sink", {"endpoint": "https://splunk:8088", "token": {"env": "HEC"}}),
    ],
)
def test_unsupported_classes_deploy_then_fail_on_start(
    client: httpx.Client, class_: str, type_: str, config: dict[str, Any]
) -> None:
    """kafka, object_storage and splunk deploy fine and go failed on start with the reason."""
    body = {
        "name": f"x-{class_}".replace("_", "-"),
        "type": type_,
        "class": class_,
        "stream": "life",
        "config": config,
    }
    assert client.post("connectors", json=body).status_code == 201
    started = client.post(f"connectors/{body['name']}/start").json()
    reason = f"class {class_} cannot run on the reference core"
    assert (started["state"], started["error"]) == ("failed", reason)
    status = {c["id"]: c for c in client.get("status").json()["connectors"]}
    assert status[body["name"]] == {"id": body["name"], "state": "failed", "error": reason}
    assert client.delete(f"connectors/{body['name']}").status_code == 204


def test_put_to_running_component_keeps_it_running(core: CoreProcess, client: httpx.Client) -> None:
    """A replaced running connector runs on its new spec."""
    client.post(
        "connectors", json=file_connector("moving", "sink", "first/out.jsonl")
    ).raise_for_status()
    client.post("connectors/moving/start").raise_for_status()
    replaced = client.put(
        "connectors/moving", json=file_connector("moving", "sink", "second/out.jsonl")
    )
    assert (replaced.status_code, replaced.json()["state"]) == (200, "running")
    assert (core.data_dir / "second" / "out.jsonl").exists()
    client.post("connectors/moving/stop").raise_for_status()


def test_disabling_a_running_connector_stops_it(client: httpx.Client) -> None:
    """A PUT setting enabled: false on a running connector stops it."""
    client.post("connectors", json=file_connector("dim", "sink", "dim.jsonl")).raise_for_status()
    client.post("connectors/dim/start").raise_for_status()
    replaced = client.put(
        "connectors/dim", json=file_connector("dim", "sink", "dim.jsonl", enabled=False)
    )
    assert replaced.json()["state"] == "stopped"


def test_source_on_a_taken_port_fails_with_a_reason(client: httpx.Client) -> None:
    """A padas source that cannot bind goes failed, naming the address."""
    api_port = int(client.base_url.port or 0)
    body = {
        "name": "clash",
        "type": "source",
        "class": "padas",
        "stream": "life",
        "config": {"endpoint": f"127.0.0.1:{api_port}"},
    }
    client.post("connectors", json=body).raise_for_status()
    started = client.post("connectors/clash/start").json()
    assert started["state"] == "failed"
    assert started["error"].startswith(f"cannot listen on 127.0.0.1:{api_port}")
    assert client.post("connectors/clash/stop").json() == {
        **started,
        "state": "stopped",
        "error": None,
    }
