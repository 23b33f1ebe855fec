"""`deploy.allowed_signers`: only markers signed by a trusted signer deploy (real SSH keys)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.fixtures import CoreFactory
from tests.support.fleet import Fleet
from tests.support.repos import git


def ssh_key(folder: Path, email: str) -> tuple[Path, str]:
    """A new ed25519 key; returns its private key file and its allowed-signers line."""
    key = folder / email.split("@", maxsplit=1)[0]
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key), "-C", email], check=True
    )
    public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
    return key, f"{email} {public}"


def sign_with(fleet: Fleet, key: Path | None) -> None:
    """Make the person's clone sign every commit with `key` (or stop signing)."""
    if key is None:
        git(fleet.work, "config", "commit.gpgsign", "false")
        return
    git(fleet.work, "config", "gpg.format", "ssh")
    git(fleet.work, "config", "user.signingkey", str(key))
    git(fleet.work, "config", "commit.gpgsign", "true")


def states(fleet: Fleet) -> dict[str, str]:
    return {r["id"]: r["state"] for r in fleet.report()["requests"]}


def test_only_trusted_signers_deploy(tmp_path: Path, core_factory: CoreFactory) -> None:
    """Unsigned: refused. Signed by Ann: deployed. A signer added with its own marker: refused."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    ann_key, ann = ssh_key(tmp_path, "ann@example.net")
    mallory_key, mallory = ssh_key(tmp_path, "mallory@example.net")
    settings = "apiVersion: reconciler/v1\nkind: Settings\ndeploy:\n  allowed_signers:\n"
    fleet.edit("reconciler.yaml", settings + f"    - {ann}\n")
    fleet.push("only Ann may deploy")
    fleet.once()

    fleet.deploy_all("unsigned", "--id", "unsigned")
    fleet.once()
    assert states(fleet) == {"unsigned": "refused"}
    assert fleet.components("edge-1", "streams") == {}
    record = fleet.origin_file("status/deployments/unsigned.json")
    assert "is not signed (deploy.allowed_signers is set)" in record

    sign_with(fleet, ann_key)
    fleet.deploy_all("signed by Ann", "--id", "by-ann")
    fleet.once()
    assert states(fleet)["by-ann"] == "done"
    assert set(fleet.components("edge-1", "streams")) == {"web-raw", "web-errors"}

    sign_with(fleet, mallory_key)
    fleet.edit("reconciler.yaml", settings + f"    - {ann}\n    - {mallory}\n")
    fleet.push("let Mallory in")
    fleet.deploy_all("signed by Mallory", "--id", "by-mallory")
    fleet.once()
    assert states(fleet)["by-mallory"] == "refused"
    assert "signed by a key that is not allowed" in fleet.origin_file(
        "status/deployments/by-mallory.json"
    )
