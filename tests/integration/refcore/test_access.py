"""Who gets in: token forms and rotation, lockout after repeated failures, TLS."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.support.cores import wait_until
from tests.support.fixtures import CoreFactory
from tests.support.protocol import assert_error


def test_lockout_after_repeated_failures(core_factory: CoreFactory) -> None:
    """After N failures an address gets 429 and Retry-After, even with a good token, for a while."""
    core = core_factory(
        "guarded", extra_args=["--lockout-threshold", "3", "--lockout-seconds", "2"]
    )
    health = f"{core.api_url}health"
    for _ in range(3):
        assert_error(
            httpx.get(health, headers={"Authorization": "Bearer nope"}), 401, "unauthorized"
        )
    with core.client() as client:
        locked = client.get("health")
        assert_error(locked, 429, "locked_out")
        assert 1 <= int(locked.headers["retry-after"]) <= 2
        wait_until(
            lambda: client.get("health").status_code == 200, timeout=10, what="the lockout to end"
        )


def test_token_json_form_rotation_and_expiry(core_factory: CoreFactory) -> None:
    """The PADAS JSON token form works, rewriting the file rotates it, an expired one is refused."""
    core = core_factory("rotating", extra_args=["--lockout-threshold", "100"])
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    core.token_file.write_text(json.dumps({"token": "second-token", "expires_at": later}))
    new = {"Authorization": "Bearer second-token"}
    wait_until(
        lambda: httpx.get(f"{core.api_url}health", headers=new).status_code == 200, what="rotation"
    )
    with core.client() as client:
        assert_error(client.get("health"), 401, "unauthorized")
    earlier = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    core.token_file.write_text(json.dumps({"token": "third-token", "expires_at": earlier}))
    expired = {"Authorization": "Bearer third-token"}

    def refused_as_expired() -> bool:
        response = httpx.get(f"{core.api_url}health", headers=expired)
        return response.status_code == 401 and "expired" in response.json()["message"]

    wait_until(refused_as_expired, what="the expired token to be refused")


def test_tls(core_factory: CoreFactory, tmp_path: Path) -> None:
    """With a certificate and key the Core serves HTTPS that verifies against that certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    core = core_factory("secure", tls=(cert, key))
    assert core.url.startswith("https://")
    with core.client() as client:
        assert client.get("health").json()["status"] == "ok"
