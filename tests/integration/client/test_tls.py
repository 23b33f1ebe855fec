"""TLS to a real reference Core whose certificate a private CA signed (made here with openssl).

Verification is on by default, so a private CA must be named in `tls.ca_file`; only
`tls.verify: false` turns verification off.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler.decide.model import Tls
from reconciler.decide.observed import Reason
from reconciler.shell.core.client import CoreClient
from tests.integration.client.conftest import FAST, core_of, environ_of
from tests.support.access import AccessLog
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)


def make_ca(folder: Path, name: str) -> Path:
    """A self-signed CA certificate `<name>.pem` with its key `<name>.key`."""
    openssl(folder, "req", "-x509", *EC_KEY, "-days", "1", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    return folder / f"{name}.pem"


def make_server_cert(folder: Path, ca: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by the CA `ca`: (chain file, key file)."""
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        encoding="utf-8",
    )
    openssl(folder, "req", *EC_KEY, "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    openssl(folder, "x509", "-req", "-in", "server.csr", "-days", "1",
            "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-extfile", "server.ext", "-out", "server.pem")  # fmt: skip
    chain = folder / "chain.pem"  # the server sends its certificate and the CA's
    chain.write_bytes((folder / "server.pem").read_bytes() + (folder / f"{ca}.pem").read_bytes())
    return chain, folder / "server.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    make_ca(folder, "private-ca")
    make_ca(folder, "other-ca")
    return folder


@pytest.fixture(scope="module")
def secure(module_core_factory: CoreFactory, pki: Path) -> CoreProcess:
    return module_core_factory("secure", admin=False, tls=make_server_cert(pki, "private-ca"))


async def readback_with(process: CoreProcess, tls: Tls) -> tuple[bool, Reason | None, str]:
    async with CoreClient(core_of(process, tls=tls), environ_of(process), FAST) as client:
        observation = await client.readback()
    return observation.reachable, observation.reason, observation.message or ""


async def test_a_core_signed_by_the_named_ca_is_trusted(secure: CoreProcess, pki: Path) -> None:
    """With `ca_file` naming the CA that signed the Core's certificate, the readback succeeds."""
    assert secure.url.startswith("https://")
    reachable, _, _ = await readback_with(secure, Tls(ca_file=str(pki / "private-ca.pem")))
    assert reachable


async def test_a_private_ca_is_not_trusted_by_default(secure: CoreProcess) -> None:
    """Verification is on by default: a certificate from an unknown CA fails as TLS, unretried."""
    reachable, reason, message = await readback_with(secure, Tls())
    assert (reachable, reason) == (False, Reason.TLS)
    assert message.startswith("core secure failed TLS for health (")
    assert "tries" not in message


async def test_another_ca_is_not_trusted(secure: CoreProcess, pki: Path) -> None:
    """`ca_file` trusts that CA only: a Core signed by another CA fails as TLS."""
    reachable, reason, _ = await readback_with(secure, Tls(ca_file=str(pki / "other-ca.pem")))
    assert (reachable, reason) == (False, Reason.TLS)


async def test_verify_false_turns_verification_off(secure: CoreProcess) -> None:
    """Only an explicit `verify: false` accepts a certificate nobody vouches for."""
    reachable, _, _ = await readback_with(secure, Tls(verify=False))
    assert reachable


async def test_a_missing_ca_file_is_a_tls_failure_naming_it(
    secure: CoreProcess, tmp_path: Path
) -> None:
    """A CA file that cannot be loaded fails every call as TLS, naming the file; nothing is sent."""
    missing = tmp_path / "nowhere.pem"
    log = AccessLog(secure)
    reachable, reason, message = await readback_with(secure, Tls(ca_file=str(missing)))
    assert (reachable, reason) == (False, Reason.TLS)
    assert message.startswith(f"core secure: CA file {missing} cannot be used")
    assert log.lines() == []
