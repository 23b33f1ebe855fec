"""How every command names the repository (`--repo`) and what its Core files may name.

- Commands that read a person's checkout (`validate`, `plan`, `status`, `deploy-all`, `action`)
  take `--repo REPO`: a working clone or any checkout, `.` by default. Where SPEC §8 writes the
  folder as the first argument (`reconciler plan REPO`), that spelling keeps working, and says
  so in `--help`.
- The daemon and its one-pass sibling (`run`, `once`) take `--repo SOURCE`: a Git URL or a local
  path, bare or not, which they clone for themselves (or `RECONCILER_REPO`).
- Every command that reads Core files takes the operator's token policy (`--token-env-prefix`,
  `--token-dir`; see `reconciler.decide.trust`): a Core file naming another variable or file
  is invalid, whoever runs the command.

I/O module (the command line).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reconciler.errors import ConfigurationError


class Invalid(Exception):
    """The folder's declared state is invalid; its problems were printed already (exit 1)."""


FOLDER_HELP = "a working clone or any checkout with the declared state (default: .)"


def add_folder(parser: argparse.ArgumentParser, positional: bool = True) -> None:
    """`--repo REPO`, and the positional `REPO` where SPEC §8 has it."""
    if positional:
        parser.add_argument(
            "repo_argument", nargs="?", metavar="REPO", help="the same as --repo REPO"
        )
    parser.add_argument("--repo", dest="repo", metavar="REPO", help=FOLDER_HELP)
    add_token_flags(parser)


def add_source(parser: argparse.ArgumentParser) -> None:
    """`--repo SOURCE` for the commands that clone the repository themselves."""
    parser.add_argument(
        "--repo",
        dest="repo_source",
        metavar="SOURCE",
        help="the repository: a Git URL or a local path, bare or not (or RECONCILER_REPO)",
    )
    add_token_flags(parser)


def add_token_flags(parser: argparse.ArgumentParser) -> None:
    """`--token-env-prefix` and `--token-dir`: what the Core files may name for their tokens."""
    parser.add_argument(
        "--token-env-prefix",
        metavar="PREFIX",
        help="Core tokens may come only from variables with this prefix "
        "(or RECONCILER_TOKEN_ENV_PREFIX; default PADAS_TOKEN_)",
    )
    parser.add_argument(
        "--token-dir",
        action="append",
        metavar="DIR",
        help="Core token and CA files may come only from this folder; repeatable "
        "(or RECONCILER_TOKEN_DIRS, ':'-separated; default /etc/reconciler/tokens)",
    )


def folder(args: argparse.Namespace) -> Path:
    """The folder a command reads: `--repo`, else the positional REPO, else `.`."""
    flag, argument = getattr(args, "repo", None), getattr(args, "repo_argument", None)
    if flag is not None and argument is not None and flag != argument:
        raise ConfigurationError(f"give the repository once: --repo {flag} or {argument}")
    return Path(flag or argument or ".")
