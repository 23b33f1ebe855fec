"""Best-effort syslog parsing and the lines the syslog sink sends."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.refcore.connectors.syslog import format_line, parse

LINES: list[tuple[str, dict[str, Any]]] = [
    (
        "<38>Mar  3 10:00:01 bastion sshd[812]: Failed password for root",
        {
            "facility": "auth",
            "severity": "info",
            "host": "bastion",
            "app": "sshd",
            "pid": "812",
            "timestamp": "Mar  3 10:00:01",
            "message": "Failed password for root",
        },
    ),
    (
        "<86>Mar 13 10:00:01 bastion sudo: ana : USER=root ; COMMAND=/bin/sh",
        {
            "facility": "authpriv",
            "severity": "info",
            "host": "bastion",
            "app": "sudo",
            "pid": None,
            "message": "ana : USER=root ; COMMAND=/bin/sh",
        },
    ),
    (
        '<165>1 2024-03-03T10:00:01.000Z fw1 filterlog 42 ID47 [ex@32473 a="1"] action=drop',
        {
            "facility": "local4",
            "severity": "notice",
            "host": "fw1",
            "app": "filterlog",
            "pid": "42",
            "timestamp": "2024-03-03T10:00:01.000Z",
            "message": "action=drop",
        },
    ),
    (
        "<13>1 2024-03-03T10:00:01Z host app - - -",
        {
            "facility": "user",
            "severity": "notice",
            "host": "host",
            "app": "app",
            "pid": None,
            "message": "",
        },
    ),
    (
        "<11>just text",
        {"facility": "user", "severity": "err", "host": None, "app": None, "message": "just text"},
    ),
    (
        "no priority at all",
        {
            "facility": None,
            "severity": None,
            "host": None,
            "app": None,
            "message": "no priority at all",
        },
    ),
    ("<999>out of range", {"facility": None, "severity": None, "message": "out of range"}),
]


@pytest.mark.parametrize(("line", "expected"), LINES)
def test_parse(line: str, expected: dict[str, Any]) -> None:
    """Each line yields the fields it carries, null for the rest, and keeps the raw line."""
    event = parse(line)
    assert event["raw"] == line
    assert {key: event[key] for key in expected} == expected


def test_format_forwards_raw_lines() -> None:
    """An event that came from syslog is forwarded as it arrived."""
    assert format_line({"raw": "<13>hello", "message": "other"}) == "<13>hello"


def test_format_builds_rfc5424_from_fields() -> None:
    """Another event becomes an RFC 5424 line carrying its message, host and app."""
    line = format_line(
        {
            "message": "disk full",
            "host": "db1",
            "app": "mon",
            "severity": "crit",
            "facility": "daemon",
        }
    )
    assert line.startswith("<26>1 ")
    assert line.endswith(" db1 mon - - - disk full")
    assert parse(line)["message"] == "disk full"


def test_format_sends_json_when_there_is_no_message() -> None:
    """An event without a string message travels as its JSON."""
    assert format_line({"status": 500}).endswith(' refcore - - - {"status":500}')
