"""Fault injection through the admin routes, each seen by an httpx client as the right outcome."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory
from tests.support.protocol import assert_error, assert_valid


@pytest.fixture(scope="module")
def core(module_core_factory: CoreFactory) -> CoreProcess:
    return module_core_factory("faulty", extra_args=["--lockout-threshold", "100"])


@pytest.fixture
def client(core: CoreProcess) -> Iterator[httpx.Client]:
    with core.client() as client:
        yield client


@pytest.fixture
def admin(core: CoreProcess) -> Iterator[httpx.Client]:
    with core.admin_client() as admin:
        yield admin
        admin.delete("faults").raise_for_status()


def set_faults(admin: httpx.Client, *rules: dict[str, Any]) -> None:
    response = admin.put("faults", json={"rules": list(rules)})
    assert response.status_code == 200, response.text


def test_latency_makes_a_short_timeout_expire(core: CoreProcess, admin: httpx.Client) -> None:
    """Added latency on a path prefix times out a client there, and only there."""
    set_faults(admin, {"path_prefix": "/api/v1/status", "latency_ms": 3000})
    with core.client(timeout=0.5) as hasty:
        with pytest.raises(httpx.ReadTimeout):
            hasty.get("status")
        assert hasty.get("health").status_code == 200


def test_error_rate_one_answers_500_internal(client: httpx.Client, admin: httpx.Client) -> None:
    """An error rate of 1 makes every matching request a JSON 500."""
    set_faults(admin, {"path_prefix": "/api/v1/streams", "error_rate": 1.0})
    assert_error(client.get("streams"), 500, "internal")
    assert client.get("health").status_code == 200


def test_seeded_error_rate_is_reproducible(client: httpx.Client, admin: httpx.Client) -> None:
    """A seeded error rate fails exactly the requests the same seed's draws say."""
    set_faults(admin, {"path_prefix": "/api/v1/metrics", "error_rate": 0.5, "seed": 7})
    draws = random.Random(7)  # noqa: S311 (the same generator the Core seeds)
    expected = [500 if draws.random() < 0.5 else 200 for _ in range(20)]
    assert [client.get("metrics").status_code for _ in range(20)] == expected
    assert 0 < expected.count(500) < 20


def test_refused_deploys(client: httpx.Client, admin: httpx.Client) -> None:
    """With deploys refused, collection writes are 422 deploy_refused; reads and actions work."""
    client.post("streams", json={"name": "before"}).raise_for_status()
    client.post(
        "connectors",
        json={
            "name": "act",
            "type": "sink",
            "class": "file",
            "stream": "before",
            "config": {"path": "a"},
        },
    ).raise_for_status()
    set_faults(admin, {"refuse_deploys": True})
    assert_error(client.post("streams", json={"name": "after"}), 422, "deploy_refused")
    assert_error(client.put("streams/before", json={"name": "before"}), 422, "deploy_refused")
    assert_error(client.delete("streams/before"), 422, "deploy_refused")
    assert client.get("streams/before").status_code == 200
    assert client.post("connectors/act/start").json()["state"] == "running"
    assert client.post("connectors/act/stop").json()["state"] == "stopped"


def test_reset_cuts_the_response_after_the_change(
    client: httpx.Client, admin: httpx.Client
) -> None:
    """A reset closes the connection mid-response; the change itself took effect."""
    set_faults(admin, {"path_prefix": "/api/v1/streams", "methods": ["PUT"], "reset_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        client.put("streams/cut", json={"name": "cut"})
    assert client.get("streams/cut").json()["name"] == "cut"


def test_out_of_band_edit_is_seen_on_get(client: httpx.Client, admin: httpx.Client) -> None:
    """An admin edit merges into the stored spec, metadata included, and shows on the next GET."""
    body = {
        "name": "edited",
        "backpressure": "block",
        "metadata": {"managed-by": "reconciler", "rev": "r1"},
    }
    original = client.post("streams", json=body).json()
    response = admin.patch(
        "streams/edited", json={"backpressure": "drop", "metadata": {"managed-by": None}}
    )
    assert response.status_code == 200
    seen = client.get("streams/edited").json()
    assert_valid("Stream", seen)
    assert (seen["backpressure"], seen["metadata"]) == ("drop", {"rev": "r1"})
    assert seen["created_at"] == original["created_at"]


def test_out_of_band_edit_of_a_running_connector_restarts_it(
    core: CoreProcess, client: httpx.Client, admin: httpx.Client
) -> None:
    """Editing a running connector's config out of band applies it, keeping it running."""
    client.post("streams", json={"name": "oob"}).raise_for_status()
    body = {
        "name": "oob-out",
        "type": "sink",
        "class": "file",
        "stream": "oob",
        "config": {"path": "one.jsonl"},
    }
    client.post("connectors", json=body).raise_for_status()
    client.post("connectors/oob-out/start").raise_for_status()
    edited = admin.patch("connectors/oob-out", json={"config": {"path": "two.jsonl"}}).json()
    assert (edited["config"]["path"], edited["state"]) == ("two.jsonl", "running")
    assert (core.data_dir / "two.jsonl").exists()


def test_out_of_band_edit_still_validates_shape(admin: httpx.Client) -> None:
    """An edit that would make an invalid component is refused like any body."""
    assert_error(admin.patch("streams/edited", json={"backpressure": "spill"}), 422, "invalid_body")
    assert_error(admin.patch("streams/ghost", json={}), 404, "not_found")


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([{"latency_ms": -1}], "latency_ms"),
        ([{"error_rate": 2}], "error_rate"),
        ([{"path_prefix": "api"}], "path_prefix"),
        ([{"methods": "GET"}], "methods"),
        ([{"explode": True}], "explode"),
    ],
)
def test_bad_fault_rules(admin: httpx.Client, rules: list[dict[str, Any]], field: str) -> None:
    """A bad rule is refused, naming its field, and the rules in force stay as they were."""
    assert (
        field
        in assert_error(admin.put("faults", json={"rules": rules}), 422, "invalid_body")["message"]
    )
    assert admin.get("faults").json() == {"rules": []}


def test_admin_and_public_tokens_do_not_cross(core: CoreProcess) -> None:
    """The public token does not open admin routes, and the admin token does not open the API."""
    public = {"Authorization": f"Bearer {core.token}"}
    assert_error(httpx.get(f"{core.admin_url}faults", headers=public), 401, "unauthorized")
    private = {"Authorization": f"Bearer {core.admin_token}"}
    assert_error(httpx.get(f"{core.api_url}health", headers=private), 401, "unauthorized")


def test_admin_routes_are_never_faulted(admin: httpx.Client) -> None:
    """Faults apply to the public API only, so a test can always clear them."""
    set_faults(admin, {"path_prefix": "/", "error_rate": 1.0})
    assert admin.get("faults").status_code == 200
    assert admin.delete("faults").json() == {"rules": []}
