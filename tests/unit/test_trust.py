"""What a Core file may name, and which Cores are trusted (reconciler.decide.trust)."""

from __future__ import annotations

import pytest

from reconciler.decide.model import Core, Origin, SecretRef, Tls
from reconciler.decide.trust import CoreIdentity, TokenPolicy, identities, prefix_problem, trusted

POLICY = TokenPolicy(
    "PADAS_TOKEN_", ("/etc/reconciler/tokens", "/run/secrets"), frozenset({"/run/secrets/webhook"})
)


def core(name: str, url: str = "https://edge.example:8999", token: SecretRef | None = None) -> Core:
    return Core(
        name, url, token or SecretRef(env="PADAS_TOKEN_EDGE"), Origin(f"cores/{name}.yaml", 1)
    )


@pytest.mark.parametrize(
    ("variable", "allowed"),
    [
        ("PADAS_TOKEN_EDGE_1", True),
        ("AWS_SECRET_ACCESS_KEY", False),
        ("RECONCILER_WEBHOOK_SECRET", False),
        ("PGPASSWORD", False),
        ("GIT_ASKPASS", False),
        ("PADAS_TOKEN", False),
    ],
)
def test_variables_a_core_file_may_name(variable: str, allowed: bool) -> None:
    """Only variables under the prefix, and never the reconciler's own."""
    assert (POLICY.env_problem(variable) is None) is allowed


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/etc/reconciler/tokens/edge-1", True),
        ("/run/secrets/edge-2/token", True),
        ("/run/secrets/webhook", False),
        ("/etc/reconciler/tokens-evil/edge", False),
        ("/root/.ssh/id_ed25519", False),
    ],
)
def test_files_a_core_file_may_name(path: str, allowed: bool) -> None:
    """Only files inside a token folder (not a sibling of the same prefix), never an own secret."""
    assert (POLICY.file_problem(path) is None) is allowed


def test_relative_paths_are_taken_inside_the_first_folder() -> None:
    """A relative path lands in the first folder; climbing out with `..` lands outside it."""
    assert POLICY.resolve("edge-1") == "/etc/reconciler/tokens/edge-1"
    assert POLICY.resolve("../../../etc/shadow") == "/etc/shadow"
    assert POLICY.file_problem(POLICY.resolve("../../../etc/shadow")) is not None


@pytest.mark.parametrize("prefix", ["", "X", "RECONCILER_", "RECON", "PG", "GIT_TOKEN_", "lower_"])
def test_prefixes_that_cannot_be_set(prefix: str) -> None:
    """An operator cannot open the reconciler's own variables, nor everything, by the prefix."""
    assert prefix_problem(prefix) is not None


def test_a_core_is_trusted_only_as_it_was_deployed() -> None:
    """A changed url, token reference or TLS setting is a different Core until deployed."""
    deployed = identities([core("edge-1")])
    assert trusted([core("edge-1")], deployed) == [core("edge-1")]
    assert trusted([core("edge-1", url="http://elsewhere:8999")], deployed) == []
    assert trusted([core("edge-1", token=SecretRef(env="PADAS_TOKEN_OTHER"))], deployed) == []
    changed_tls = Core(
        "edge-1",
        "https://edge.example:8999",
        SecretRef(env="PADAS_TOKEN_EDGE"),
        Origin("c", 1),
        Tls(verify=False),
    )
    assert trusted([changed_tls], deployed) == []
    assert trusted([core("edge-2")], deployed) == []


def test_identities_round_trip_through_json() -> None:
    """What the ledger stores of a trusted Core comes back equal."""
    identity = CoreIdentity(
        "https://e:1", SecretRef(file="/etc/reconciler/tokens/e"), Tls(True, "/ca.pem")
    )
    assert CoreIdentity.from_json(identity.to_json()) == identity
