"""The trust boundary of SPEC §10 as values: what a Core file may name, which Cores are trusted.

The repository is untrusted input: anyone who can push can write a Core file. Two rules keep
that from turning into a leak of the secrets the reconciler holds:

- **Token references are confined** (`TokenPolicy`). A Core's `token: {env: VAR}` may name only
  variables whose name starts with the operator's prefix, and `{file: PATH}` only files inside
  the operator's token folders; both are set in the daemon's settings, never in Git, and
  default to `DEFAULT_ENV_PREFIX` and `DEFAULT_FOLDER`. A relative path is taken inside the
  first token folder. (`tls.ca_file` is not a secret and is not confined: what it may change,
  which certificates a Core is trusted by, is covered by the next rule, and the file is read
  as safely as a token file.) The reconciler's own variables (`RECONCILER_*`, and the
  `PG*` and `GIT_*` families its libraries read) and its own secret files (the webhook secret)
  can never be named. A reference outside is a validation problem at the Core file's line.
- **Credentials go only to trusted Cores** (`CoreIdentity`). The Cores the daemon talks to with
  a token are those of the last deployed state (the baseline on the first start), compared by
  everything that decides where a token goes: url, token reference and TLS settings. A Core that
  is new or changed is awaiting a Deploy All: it is shown as such and is not contacted, so a
  commit that points a Core at another host gets nothing until somebody deploys it (and, with
  `deploy.allowed_signers`, signs that deploy).

Pure module.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.decide.model import Core, SecretRef, Tls

DEFAULT_ENV_PREFIX = "PADAS_TOKEN_"
"""Core tokens come from variables such as PADAS_TOKEN_EDGE_EU_1 unless the operator says else."""
DEFAULT_FOLDER = "/etc/reconciler/tokens"
"""Core token files live here unless the operator says else."""
RESERVED_PREFIXES = ("RECONCILER_", "PG", "GIT_")
"""Variables a Core file can never name: the reconciler's own settings and secrets, and those
of libpq and git, which the reconciler's own connections read."""
_PREFIX = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """Which variables and files a Core file may name for its token (set by the operator)."""

    env_prefix: str = DEFAULT_ENV_PREFIX
    folders: tuple[str, ...] = (DEFAULT_FOLDER,)
    """Absolute folders; a relative `{file: …}` is taken inside the first one."""
    reserved_files: frozenset[str] = field(default_factory=frozenset)
    """Absolute paths of the reconciler's own secret files, never to be named."""

    def env_problem(self, variable: str) -> str | None:
        """Why a Core file may not name `variable`, or None when it may."""
        if variable.startswith(RESERVED_PREFIXES):
            return f"{{env: {variable}}} names a variable of the reconciler's own, never a token"
        if not variable.startswith(self.env_prefix):
            return (
                f"{{env: {variable}}} is not allowed: Core tokens come from variables whose "
                f"names start with {self.env_prefix} (the operator's --token-env-prefix)"
            )
        return None

    def file_problem(self, path: str) -> str | None:
        """Why a Core file may not name `path` (already resolved), or None when it may."""
        if path in self.reserved_files:
            return f"{path} is a secret of the reconciler's own, never a token"
        if not any(_inside(path, folder) for folder in self.folders):
            allowed = ", ".join(self.folders)
            return (
                f"{path} is outside the token folders the operator allows "
                f"({allowed}; the operator's --token-dir)"
            )
        return None

    def resolve(self, path: str) -> str:
        """A `{file: …}` path as it is read: a relative one inside the first folder."""
        base = self.folders[0] if self.folders else "/"
        return posixpath.normpath(path if posixpath.isabs(path) else posixpath.join(base, path))


def prefix_problem(prefix: str) -> str | None:
    """Why an operator's token variable prefix cannot be used, or None."""
    if not _PREFIX.match(prefix):
        return "must be at least 3 capital letters, digits or '_', starting with a letter"
    if prefix.startswith(RESERVED_PREFIXES) or any(p.startswith(prefix) for p in RESERVED_PREFIXES):
        return f"must not cover the reconciler's own variables ({', '.join(RESERVED_PREFIXES)}…)"
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@dataclass(frozen=True, slots=True)
class CoreIdentity:
    """Everything that decides where a Core's token is sent, and so what trust covers."""

    url: str
    token: SecretRef
    tls: Tls

    @classmethod
    def of(cls, core: Core) -> CoreIdentity:
        return cls(core.url, core.token, core.tls)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "token": {"env": self.token.env} if self.token.env else {"file": self.token.file},
            "tls": {"verify": self.tls.verify, "ca_file": self.tls.ca_file},
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> CoreIdentity:
        token, tls = document["token"], document["tls"]
        return cls(
            document["url"],
            SecretRef(env=token.get("env"), file=token.get("file")),
            Tls(verify=bool(tls["verify"]), ca_file=tls.get("ca_file")),
        )


def identities(cores: Iterable[Core]) -> dict[str, CoreIdentity]:
    """The identities of a state's Cores, by name: what trusting that state trusts."""
    return {core.name: CoreIdentity.of(core) for core in cores}


def trusted(cores: Iterable[Core], trust: Mapping[str, CoreIdentity]) -> list[Core]:
    """The Cores among `cores` that may be contacted: declared exactly as trusted."""
    return [core for core in cores if trust.get(core.name) == CoreIdentity.of(core)]
