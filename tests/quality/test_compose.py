"""The shipped docker-compose.yaml, checked by reading it (no container engine runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reconciler.cli import environment
from reconciler.cli.main import build_parser
from reconciler.shell.ledger.postgres import ledger_url

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    return loaded


def test_two_replicas_of_this_image_share_one_postgresql_ledger() -> None:
    """Both replicas run `reconciler run` of the image this Dockerfile builds, with flags the
    command accepts, one ledger URL without a password, and a state volume each."""
    services = compose()["services"]
    replicas = [s for name, s in services.items() if name.startswith("reconciler-")]
    assert len(replicas) == 2
    assert services["postgres"]["image"].startswith("postgres:")
    urls, states = set(), set()
    for replica in replicas:
        assert replica["build"] == "."
        assert (ROOT / "Dockerfile").is_file()
        args = build_parser().parse_args(replica["command"])
        config = environment.build(args, {"HOME": "/home/reconciler"})
        assert config.ledger_url is not None
        urls.add(ledger_url(config.ledger_url))
        assert "PGPASSWORD" in replica["environment"]
        states |= {v.split(":")[1] for v in replica["volumes"] if v.startswith("state-")}
        states |= {v.split(":")[0] for v in replica["volumes"] if v.startswith("state-")}
    assert len(urls) == 1
    assert {"state-a", "state-b"} <= states
    assert {"ledger", "state-a", "state-b"} <= set(compose()["volumes"])
