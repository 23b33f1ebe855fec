"""`reconciler wait [REPO] [REQUEST_ID] [--timeout T]`: until a request has a final outcome.

The request is the one named, else the newest marker or `Deploy-All:` trailer on the first-parent
history of REPO's HEAD. Its outcome is read from the run records of the report on the branch
REPO tracks, fetched at every look (`reconciler.shell.repo.reports`); the working tree is never
touched. Exit 0 done, 1 failed, refused or superseded, 124 when `--timeout` passes first, 2 a
usage error. Progress goes to standard error (a live line on a terminal); the last line, on
standard output, says how the request ended and names its record.

With one positional argument, an existing folder is REPO and anything else is a REQUEST_ID
(`--repo` and `--id` say it without guessing).
I/O module (Git, the clock, the terminal).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from reconciler.cli.progress import Waiting
from reconciler.decide import waiting
from reconciler.decide.waiting import Seen, Target
from reconciler.errors import ConfigurationError, SourceUnavailable
from reconciler.shell.repo.reports import Clone

DEFAULT_TIMEOUT = 600.0
DEFAULT_INTERVAL = 2.0


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "wait",
        help="wait until a Deploy All or Core Action request has a final outcome",
        description="Fetch the branch REPO tracks and read the request's run record in its "
        "report, until the request is done (exit 0), failed, refused or superseded (exit 1), "
        "or --timeout passes (exit 124). Without REQUEST_ID: the newest request reachable "
        "from HEAD.",
        usage="reconciler wait [REPO] [REQUEST_ID] [--repo REPO] [--id REQUEST_ID] "
        "[--timeout SECONDS] [--poll-interval SECONDS]",
    )
    parser.add_argument(
        "words",
        nargs="*",
        metavar="REPO REQUEST_ID",
        help="a working clone and/or a request id; one alone is REPO when it is an existing "
        "folder, else REQUEST_ID",
    )
    parser.add_argument("--repo", help="a working clone (default: .)")
    parser.add_argument("--id", dest="request_id", help="the request's id")
    add_timing(parser)
    parser.set_defaults(run=run)


def add_timing(parser: argparse.ArgumentParser) -> None:
    """`--timeout` and `--poll-interval`, shared with `deploy-all --wait` and `rollback --wait`."""
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up after this long, exit 124 (default {DEFAULT_TIMEOUT:.0f})",
    )
    parser.add_argument(
        "--poll-interval",
        dest="poll_interval",
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"look at the report this often (default {DEFAULT_INTERVAL:.0f})",
    )


def run(args: argparse.Namespace) -> int:
    repo, request_id = _arguments(args)
    clone = Clone.open(repo)
    return wait_for(clone, target(clone, request_id), args.timeout, args.poll_interval)


def _arguments(args: argparse.Namespace) -> tuple[Path, str | None]:
    words: list[str] = list(args.words)
    if len(words) > 2:
        raise ConfigurationError("wait takes at most REPO and REQUEST_ID")
    repo, request_id = args.repo, args.request_id
    if len(words) == 2:
        repo, request_id = _once("repo", repo, words[0]), _once("id", request_id, words[1])
    elif words and Path(words[0]).is_dir():
        repo = _once("repo", repo, words[0])
    elif words:
        request_id = _once("id", request_id, words[0])
    return Path(repo or "."), request_id


def _once(flag: str, given: str | None, word: str) -> str:
    if given is not None and given != word:
        raise ConfigurationError(f"give the {flag} once: --{flag} {given} or {word}")
    return word


def target(clone: Clone, request_id: str | None) -> Target:
    """The request named (with its commit, when HEAD's history holds it), else the newest."""
    head = clone.head()
    found = waiting.requested(clone.commits(head), clone.report_dir(head), clone.marker_id)
    if request_id is None:
        if not found:
            raise ConfigurationError(
                f"no Deploy All or Core Action request is reachable from HEAD in "
                f"{clone.repo.working_dir}; give a REQUEST_ID"
            )
        return found[-1]
    named = [t for t in found if t.id == request_id]
    return named[-1] if named else Target(None, request_id)


def wait_for(clone: Clone, target: Target, timeout: float, interval: float) -> int:
    """Look at the report every `interval` seconds until the target ends or `timeout` passes."""
    progress = Waiting(target.describe())
    deadline = time.monotonic() + timeout
    now = Seen(None)
    try:
        while True:
            now = _look(clone, target, progress)
            if now.final or time.monotonic() >= deadline:
                break
            time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
    finally:
        progress.close()
    print(waiting.sentence(target, now) if now.final else _timed_out(target, timeout))
    return now.code


def _look(clone: Clone, target: Target, progress: Waiting) -> Seen:
    try:
        clone.fetch()
    except SourceUnavailable as error:
        progress.show(f"cannot fetch ({error})")
        return Seen(None)
    now = waiting.seen(target, clone.records())
    if now.state is not None:
        progress.show(now.state.value)
    elif target.commit is not None and not clone.holds(target.commit):
        progress.show(f"commit {target.commit[:12]} is not on {clone.ref} yet (push it)")
    else:
        progress.show("not recorded yet")
    return now


def _timed_out(target: Target, timeout: float) -> str:
    return f"{target.describe()} has no final outcome after {timeout:g} s (--timeout)"
