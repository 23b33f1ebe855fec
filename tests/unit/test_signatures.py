"""Deciding on what Git reported about a request's signature (reconciler.decide.signatures)."""

from __future__ import annotations

import pytest

from reconciler.decide.signatures import Signature, gpg_fingerprints, refusal, ssh_lines

SSH_LINE = "ann@example.net ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL4"
GPG = "0123456789ABCDEF0123456789ABCDEF01234567"
ALLOWED = (SSH_LINE, GPG.lower())


def test_entries_are_split_by_form() -> None:
    """Hex fingerprints are GPG keys; everything else is an SSH allowed-signers line."""
    assert ssh_lines(ALLOWED) == [SSH_LINE]
    assert gpg_fingerprints(ALLOWED) == {GPG}


@pytest.mark.parametrize(
    ("signature", "allowed"),
    [
        (Signature("G", "SHA256:abc", "ann@example.net"), True),
        (Signature("G", GPG, "Ann"), True),
        (Signature("U", "ABCDEF" + GPG, "Ann", GPG), True),
        (Signature("G", "FFFF" * 10, "Mallory"), False),
        (Signature("N"), False),
        (Signature("B", "SHA256:abc"), False),
        (Signature("E", "", "", ""), False),
        (Signature("U", "SHA256:abc", "bob@example.net"), False),
    ],
)
def test_refusal(signature: Signature, allowed: bool) -> None:
    """Only an SSH key Git found in the allowed lines, or a listed good GPG key, passes."""
    found = refusal(ALLOWED, "c" * 40, signature)
    assert (found is None) is allowed
    if found is not None:
        assert found.startswith("commit cccccccccccc is refused because ")
