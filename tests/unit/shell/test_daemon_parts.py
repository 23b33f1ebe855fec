"""The daemon's small parts on their own: addresses, signatures, wakeups, ref filters, log lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest
from watchfiles import Change

from reconciler.errors import ConfigurationError
from reconciler.shell.config import listen_address
from reconciler.shell.daemon.triggers import Wakeup, is_ref_change
from reconciler.shell.daemon.webhook import matches, signature
from reconciler.shell.logs import JsonFormatter, TextFormatter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:9400", ("127.0.0.1", 9400)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),  # noqa: S104 (a value parsed, not bound)
        ("[::1]:9400", ("::1", 9400)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_listen_addresses_that_parse(value: str, expected: tuple[str, int]) -> None:
    """HOST:PORT and [IPV6]:PORT give the host and port."""
    assert listen_address(value) == expected


@pytest.mark.parametrize("value", ["9400", "127.0.0.1", "127.0.0.1:99999", "::1:9400", "a b:1"])
def test_listen_addresses_that_do_not_parse_name_the_flag(value: str) -> None:
    """Anything else is a configuration error that names --listen."""
    with pytest.raises(ConfigurationError, match="--listen"):
        listen_address(value)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (signature("secret", b"{}"), True),
        (signature("secret", b"{}").upper().replace("SHA256=", "sha256="), True),
        (signature("other", b"{}"), False),
        (signature("secret", b"{ }"), False),
        (signature("secret", b"{}").removeprefix("sha256="), False),
        ("sha1=" + "0" * 40, False),
        ("", False),
        (None, False),
    ],
)
def test_webhook_signatures(header: str | None, accepted: bool) -> None:
    """Only `sha256=` with the HMAC of the body under the secret is accepted."""
    expected = signature("secret", b"{}").removeprefix("sha256=")
    assert matches(header, expected) is accepted


def test_a_burst_of_fires_is_one_wake_with_every_reason() -> None:
    """Fires before a wait are gathered into one wake; close ends every later wait."""

    async def scenario() -> tuple[object, object]:
        counted: list[str] = []
        wakeup = Wakeup(counted.append)
        for reason in ("watch", "watch", "webhook"):
            wakeup.fire(reason)
        first = await wakeup.wait()
        wakeup.close()
        assert counted == ["watch", "watch", "webhook"]
        return first, await wakeup.wait()

    assert asyncio.run(scenario()) == (("watch", "watch", "webhook"), None)


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("refs/heads/main", True),
        ("refs/tags/v1", True),
        ("packed-refs", True),
        ("HEAD", True),
        ("refs/heads/main.lock", False),
        ("objects/ab/cdef", False),
        ("logs/HEAD", False),
        ("config", False),
    ],
)
def test_the_watcher_keeps_ref_changes_only(path: str, kept: bool) -> None:
    """Ref updates wake the daemon; objects, locks and logs being written do not."""
    root = Path("/srv/origin.git")
    assert is_ref_change(root)(Change.modified, str(root / path)) is kept


def _record(message: str, error: bool = False) -> logging.LogRecord:
    exc_info = None
    if error:
        try:
            raise ValueError("bad\nthing")
        except ValueError as caught:
            exc_info = (type(caught), caught, caught.__traceback__)
    return logging.LogRecord("reconciler.x", logging.WARNING, __file__, 1, message, (), exc_info)


def test_text_log_lines_stay_on_one_line() -> None:
    """A message or traceback with line breaks is still one line of text."""
    line = TextFormatter(terminal=False).format(_record("two\nlines", error=True))
    assert "\n" not in line
    assert " warning reconciler.x: two | lines | Traceback" in line


def test_json_log_lines_are_objects() -> None:
    """Each JSON line holds time, level, logger, message, and the exception when there is one."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.handle(_record("hello", error=True))
    [line] = stream.getvalue().splitlines()
    found = json.loads(line)
    assert (found["level"], found["logger"], found["message"]) == (
        "warning",
        "reconciler.x",
        "hello",
    )
    assert found["time"].endswith("Z")
    assert "ValueError" in found["exception"]
