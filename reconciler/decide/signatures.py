"""Whether a request's commit is signed by an allowed signer (SPEC §4, `deploy.allowed_signers`).

Entries of `allowed_signers` are either SSH allowed-signers lines (`principal key-type key`, as
`git` reads from `gpg.ssh.allowedSignersFile`) or GPG key fingerprints (hex). Git checks the
signature; this module decides on what Git reported: an SSH signature counts when Git found its
key in the allowed lines, a GPG one when it is good and its key's fingerprint is listed.

Which list applies is a matter of trust, decided by the caller: the list in force is the one of
the last deployed revision (or of the baseline), never the one in the commit being judged, so a
commit cannot add its own signer. Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_HEX = re.compile(r"^[0-9A-Fa-f]{16,40}$")
_CODES = {
    "N": "it is not signed",
    "B": "its signature is bad",
    "E": "its signature cannot be checked (unknown key)",
    "U": "it is signed by a key that is not allowed",
    "X": "its signature has expired",
    "Y": "it is signed by an expired key",
    "R": "it is signed by a revoked key",
}


@dataclass(frozen=True, slots=True)
class Signature:
    """What `git log --format=%G?%GF%GS%GP` says about one commit."""

    code: str
    fingerprint: str = ""
    signer: str = ""
    primary: str = ""


def ssh_lines(allowed: Sequence[str]) -> list[str]:
    """The SSH allowed-signers lines among the entries (everything that is not a fingerprint)."""
    return [entry for entry in allowed if not _HEX.match(entry.strip())]


def gpg_fingerprints(allowed: Sequence[str]) -> set[str]:
    return {entry.strip().upper() for entry in allowed if _HEX.match(entry.strip())}


def refusal(allowed: Sequence[str], commit: str, signature: Signature) -> str | None:
    """None when the commit is signed by an allowed signer, else why it is refused."""
    if signature.code == "G" and signature.fingerprint.startswith("SHA256:"):
        return None
    keys = {signature.fingerprint.upper(), signature.primary.upper()} - {""}
    fingerprints = gpg_fingerprints(allowed)
    if signature.code in ("G", "U") and any(k.endswith(f) for k in keys for f in fingerprints):
        return None
    why = _CODES.get(signature.code, "its signature is not from an allowed signer")
    if signature.code == "G":
        why = "it is signed by a key that is not allowed"
    return f"commit {commit[:12]} is refused because {why} (deploy.allowed_signers is set)"
