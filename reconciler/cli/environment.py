"""Builds the process's one `Config` from flags, then `RECONCILER_*` variables, then defaults.

This is the only place that reads `os.environ`. I/O module (the environment).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from reconciler.errors import ConfigurationError
from reconciler.shell.config import (
    DEFAULT_LISTEN,
    Config,
    duration,
    forge_settings,
    pick,
    shard_count,
    source_of,
    state_dir_of,
    token_policy,
    webhook_secret,
)
from reconciler.shell.httpauth import auth_file_of, http_auth
from reconciler.shell.repo.naming import Identity


def build(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    """The Config for this run; flags a command does not have fall back to the environment."""
    env = dict(os.environ if environ is None else environ)
    flag = vars(args)
    source = pick(flag.get("repo_source"), env, "RECONCILER_REPO")
    interval = pick(flag.get("interval"), env, "RECONCILER_INTERVAL")
    readback = pick(flag.get("readback_interval"), env, "RECONCILER_READBACK_INTERVAL")
    log_format = pick(flag.get("log_format"), env, "RECONCILER_LOG_FORMAT") or "text"
    if log_format not in ("text", "json"):
        raise ConfigurationError(f"--log-format must be text or json, not {log_format!r}")
    tokens = token_policy(
        flag.get("token_env_prefix"),
        flag.get("token_dir"),
        env,
        [
            p
            for p in (
                pick(flag.get("webhook_secret_file"), env, "RECONCILER_WEBHOOK_SECRET_FILE"),
                auth_file_of(flag.get("http_auth_file"), env),
                pick(flag.get("forge_token_file"), env, "RECONCILER_FORGE_TOKEN_FILE"),
            )
            if p
        ],
    )
    ttl = pick(flag.get("lease_ttl"), env, "RECONCILER_LEASE_TTL")
    ledger = flag.get("ledger")
    ledger_origin = "--ledger" if ledger is not None else "RECONCILER_LEDGER_URL"
    ledger = pick(ledger, env, "RECONCILER_LEDGER_URL") or None
    if ledger:  # psycopg is loaded only by the commands given a PostgreSQL ledger
        from reconciler.shell.ledger.postgres import ledger_url  # noqa: PLC0415

        ledger = ledger_url(ledger, ledger_origin)
    return Config(
        source=source_of(source) if source else None,
        ledger_url=ledger,
        lease_ttl=duration(ttl, "--lease-ttl") if ttl else 15.0,
        shards=shard_count(pick(flag.get("shards"), env, "RECONCILER_SHARDS"), ledger),
        state_dir=state_dir_of(flag.get("state_dir"), source_of(source) if source else None, env),
        branch=pick(flag.get("branch"), env, "RECONCILER_BRANCH"),
        interval=duration(interval, "--interval") if interval else 60.0,
        readback_interval=duration(readback, "--readback-interval") if readback else 15.0,
        listen=pick(flag.get("listen"), env, "RECONCILER_LISTEN") or DEFAULT_LISTEN,
        log_format=log_format,
        webhook_secret=webhook_secret(env, flag.get("webhook_secret_file")),
        tokens=tokens,
        identity=Identity(
            env.get("RECONCILER_BOT_NAME", "reconciler"),
            env.get("RECONCILER_BOT_EMAIL", "reconciler@localhost"),
        ),
        environ=env,
        http_auth=http_auth(flag.get("http_auth_file"), env),
        forge=forge_settings(flag, env, tokens) if "forge" in flag else None,
    )
