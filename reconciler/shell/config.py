"""The one settings object of a process, built once: flags, then `RECONCILER_*`, then defaults.

Nothing else in the program reads the environment. The environment mapping is kept whole so
that Core tokens given as `{env: VAR}` can be resolved from it, and from nowhere else.

I/O module (reads the environment it is given, resolves paths).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.decide.trust import DEFAULT_ENV_PREFIX, DEFAULT_FOLDER, TokenPolicy, prefix_problem
from reconciler.errors import ConfigurationError
from reconciler.shell.core.policy import ClientSettings
from reconciler.shell.httpauth import HttpAuth
from reconciler.shell.repo.naming import Identity, local_path, redact

DEFAULT_LISTEN = "127.0.0.1:9400"
"""Loopback, and not 8999: that is the Core's own port, and a Core may run on the same host."""
_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^\s:\[\]]*)):(?P<port>\d{1,5})$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 (addresses mapped, not bound)
_SECRET_FILE_VARIABLE = "RECONCILER_WEBHOOK_SECRET_FILE"  # noqa: S105 (a variable's name)
_SECRET_VARIABLE = "RECONCILER_WEBHOOK_SECRET"  # noqa: S105 (a variable's name)


FORGES = ("github", "gitlab", "gitea")
_FORGE_REPO = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+$")


@dataclass(frozen=True, slots=True)
class ForgeSettings:
    """The Git host the daemon posts statuses and plan comments to (`--forge`, never from Git)."""

    host: str
    """`github`, `gitlab` or `gitea` (Gitea and Forgejo)."""
    url: str | None
    """The API base for a self-hosted instance; None: the host's public one."""
    repo: str
    """The repository as the host names it: `owner/name` (GitLab: `group/subgroup/name`)."""
    token: str = field(repr=False)
    """From `--forge-token-env VAR` or `--forge-token-file PATH`; never printed."""
    public_url: str | None = None
    """Where people reach the daemon's pages (`--public-url`): statuses link to a run's page
    there; without it they link to the run's record in the repository."""


@dataclass(frozen=True, slots=True)
class Config:
    """How this process runs. Durations are in seconds."""

    source: str | None = None
    """The Git source: a URL or a local path (bare or not); local paths are made absolute."""
    state_dir: Path | None = None
    """Where the ledger and the daemon's own clone live."""
    ledger_url: str | None = None
    """A shared PostgreSQL ledger (`--ledger`, never with a password in it); None: SQLite in
    the state directory."""
    lease_ttl: float = 15.0
    """With a PostgreSQL ledger: how long a replica's lease lasts unrenewed (`--lease-ttl`); it
    renews every third of it, and a standby takes over once it ran out."""
    shards: int = 1
    """With a PostgreSQL ledger: how many shards the Cores are split into (`--shards`), each
    with a lease of its own, so that several replicas are active at once; 1: one active."""
    branch: str | None = None
    """The tracked branch; None follows the source's default branch."""
    interval: float = 60.0
    """How often the source is fetched even without a push notification."""
    readback_interval: float = 15.0
    """How often every Core is read back."""
    listen: str = DEFAULT_LISTEN
    """Where the daemon's HTTP endpoints listen (loopback unless told otherwise)."""
    log_format: str = "text"
    """`text` for people, `json` for machines."""
    webhook_secret: str | None = field(default=None, repr=False)
    """The shared secret of `POST /webhook` (HMAC-SHA256); never printed."""
    identity: Identity = Identity()
    """Who report commits are from."""
    client: ClientSettings = ClientSettings()
    """Timeouts, retries and concurrency for talking to Cores."""
    tokens: TokenPolicy = TokenPolicy()
    """Which variables and folders a Core file may name for its token (never set from Git)."""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The environment the process started with, for `{env: VAR}` token references."""
    http_auth: HttpAuth | None = field(default=None, repr=False)
    """Who may read the pages and endpoints (`--http-auth-file`); None: anyone who reaches them."""
    forge: ForgeSettings | None = field(default=None, repr=False)
    """The Git host to post to (`--forge`); None: none."""


def duration(value: str, name: str) -> float:
    """Seconds from `15`, `15s`, `500ms`, `2m` or `1h`; a bad value names its flag."""
    match = _DURATION.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigurationError(f"{name} must be a positive duration such as 15s, 2m or 500ms")
    return float(match.group(1)) * _UNITS[match.group(2)]


def shard_count(value: str | None, ledger: str | None) -> int:
    """`--shards` checked: a whole number of at least 1, and more than 1 only with `--ledger`."""
    if value is None:
        return 1
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigurationError(f"--shards must be a whole number of at least 1, not {value!r}")
    if int(value) > 1 and ledger is None:
        raise ConfigurationError(
            "--shards needs a PostgreSQL ledger shared by the replicas: give --ledger postgresql://USER@HOST/DB"
        )
    return int(value)


def listen_address(value: str) -> tuple[str, int]:
    """(host, port) from `HOST:PORT` or `[IPV6]:PORT`; port 0 lets the system choose one."""
    match = _LISTEN.match(value.strip())
    port = int(match.group("port")) if match else -1
    if match is None or port > 65535:
        raise ConfigurationError(
            f"--listen {value!r} must be HOST:PORT, such as 127.0.0.1:9400 or [::1]:9400"
        )
    return match.group("v6") or match.group("host") or "0.0.0.0", port  # noqa: S104


def local_url(listen: str) -> str:
    """The URL a process on the same host uses for a daemon listening on `listen` (HOST:PORT).

    A wildcard host (`0.0.0.0`, `::`, none) is reached on loopback. The container's HEALTHCHECK
    calls this with `RECONCILER_LISTEN`, so it probes wherever the daemon was told to listen.
    """
    host, port = listen_address(listen)
    host = _WILDCARDS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def pick(flag: str | None, environ: Mapping[str, str], variable: str) -> str | None:
    """A flag's value, else the environment variable's."""
    return flag if flag is not None else environ.get(variable)


def source_of(value: str) -> str:
    """A SOURCE as the clone should see it: local paths absolute, URLs unchanged."""
    path = local_path(value)
    return str(path) if path is not None else value


def default_state_dir(source: str, environ: Mapping[str, str]) -> Path:
    """A per-SOURCE folder under the user's state home (XDG_STATE_HOME or ~/.local/state)."""
    home = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME", "~")) / ".local" / "state")
    slug = re.sub(r"[^a-z0-9]+", "-", redact(source).lower()).strip("-")[-40:] or "source"
    digest = hashlib.sha256(source.encode()).hexdigest()[:8]
    return Path(home).expanduser() / "reconciler" / f"{slug}-{digest}"


def state_dir_of(flag: str | None, source: str | None, environ: Mapping[str, str]) -> Path | None:
    chosen = pick(flag, environ, "RECONCILER_STATE_DIR")
    if chosen:
        return Path(chosen).expanduser().resolve()
    return default_state_dir(source, environ) if source else None


def token_policy(
    prefix: str | None,
    folders: list[str] | None,
    environ: Mapping[str, str],
    reserved: list[str],
) -> TokenPolicy:
    """The operator's `--token-env-prefix` and `--token-dir`s (else `RECONCILER_TOKEN_ENV_PREFIX`
    and `RECONCILER_TOKEN_DIRS`, folders separated by `:`), else the documented defaults."""
    chosen = pick(prefix, environ, "RECONCILER_TOKEN_ENV_PREFIX") or DEFAULT_ENV_PREFIX
    problem = prefix_problem(chosen)
    if problem is not None:
        raise ConfigurationError(f"--token-env-prefix {chosen!r} {problem}")
    listed = folders or [f for f in environ.get("RECONCILER_TOKEN_DIRS", "").split(":") if f]
    resolved = tuple(str(Path(folder).expanduser().resolve()) for folder in listed)
    own = frozenset(str(Path(path).expanduser().resolve()) for path in reserved)
    return TokenPolicy(chosen, resolved or (DEFAULT_FOLDER,), own)


def webhook_secret(environ: Mapping[str, str], secret_file: str | None) -> str | None:
    """The webhook secret from `--webhook-secret-file`, else `RECONCILER_WEBHOOK_SECRET`.

    The file may also be named by `RECONCILER_WEBHOOK_SECRET_FILE`. Whitespace around the secret
    (a file's final newline) is not part of it. None of them given turns the webhook off; one
    given but empty or blank is a mistake, never an empty HMAC key, so it stops the start and
    names where it came from (the file and how it was named, or the variable).
    """
    named = "--webhook-secret-file" if secret_file is not None else _SECRET_FILE_VARIABLE
    path = pick(secret_file, environ, _SECRET_FILE_VARIABLE)
    if path is not None:
        return _nonblank(_read_secret_file(path, named), f"webhook secret file {path} ({named})")
    if _SECRET_VARIABLE in environ:
        return _nonblank(environ[_SECRET_VARIABLE], _SECRET_VARIABLE)
    return None


def _read_secret_file(path: str, named: str) -> str:
    if not path.strip():
        raise ConfigurationError(f"{named} is empty: give the path of the webhook secret file")
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ConfigurationError(
            f"webhook secret file {path} ({named}) cannot be read: {reason}"
        ) from error


def _nonblank(secret: str, origin: str) -> str:
    if not secret.strip():
        raise ConfigurationError(
            f"{origin} is empty: it must hold the webhook's shared secret (leave it out to turn"
            " the webhook off)"
        )
    return secret.strip()


def forge_settings(
    flags: Mapping[str, str | None], environ: Mapping[str, str], tokens: TokenPolicy
) -> ForgeSettings | None:
    """The Git host settings from `--forge*` flags (else `RECONCILER_FORGE*`); None without
    `--forge`. Each mistake names its flag; the token is never part of a message."""

    def flag(name: str) -> str | None:
        return pick(flags.get(name), environ, "RECONCILER_" + name.upper())

    host = flag("forge")
    if not host:
        return None
    if host not in FORGES:
        raise ConfigurationError(f"--forge must be one of {', '.join(FORGES)}, not {host!r}")
    repo = flag("forge_repo") or ""
    if not _FORGE_REPO.match(repo) or ".." in repo:
        raise ConfigurationError("--forge-repo must name the repository as owner/name")
    url = flag("forge_url")
    if url is not None and not re.match(r"^https?://[^\s/]+", url):
        raise ConfigurationError(f"--forge-url {url!r} must be an http(s) URL of the host's API")
    token = _forge_token(flag("forge_token_env"), flag("forge_token_file"), environ, tokens)
    public = flag("public_url")
    return ForgeSettings(host, url, repo, token, public.rstrip("/") if public else None)


def _forge_token(
    variable: str | None, path: str | None, environ: Mapping[str, str], tokens: TokenPolicy
) -> str:
    if variable and path:
        raise ConfigurationError("give --forge-token-env or --forge-token-file, not both")
    if variable:
        if variable.startswith(tokens.env_prefix):
            raise ConfigurationError(
                f"--forge-token-env {variable} starts with the Core token prefix "
                f"{tokens.env_prefix}, so a Core file could name it: use another variable, "
                "such as RECONCILER_FORGE_TOKEN"
            )
        if not environ.get(variable, "").strip():
            raise ConfigurationError(f"--forge-token-env {variable}: the variable is not set")
        return environ[variable].strip()
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise ConfigurationError(
                f"--forge-token-file {path} cannot be read: {reason}"
            ) from None
        if not text:
            raise ConfigurationError(f"--forge-token-file {path} is empty")
        return text
    raise ConfigurationError("--forge needs a token: --forge-token-env VAR or --forge-token-file")
