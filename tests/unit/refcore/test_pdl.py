"""The PDL subset: programs run over events, and bad programs rejected at the right position."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.refcore.pdl import PdlError, parse
from reconciler.refcore.pdlrun import run

WEB = {"time": "t1", "host": "web-1", "path": "/x", "status": 503, "bytes": 10}
FW = {"action": "drop", "src_ip": "192.0.2.7", "dst_port": 22}
SSH = {"app": "sshd", "message": "Failed password for root from 192.0.2.7"}

# (program, event, expected result; None when the event is filtered out)
PROGRAMS: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
    (
        'status >= 500 | eval severity = "error" | fields time, host, path, status, severity',
        WEB,
        {"time": "t1", "host": "web-1", "path": "/x", "status": 503, "severity": "error"},
    ),
    ("status >= 500", {**WEB, "status": 200}, None),
    ('app = "sshd" OR app = "sudo" | eval category = "auth"', SSH, {**SSH, "category": "auth"}),
    ('app = "sshd" OR app = "sudo" | eval category = "auth"', {"app": "cron"}, None),
    (
        'action = "drop" AND NOT src_ip = "10.*" | rename src_ip as source_address',
        FW,
        {"action": "drop", "source_address": "192.0.2.7", "dst_port": 22},
    ),
    ('action = "drop" AND NOT src_ip = "10.*"', {**FW, "src_ip": "10.1.2.3"}, None),
    ('app = "sshd" AND message ?= "Failed password"', SSH, SSH),
    ('app = "sshd" AND message ?= "Accepted"', SSH, None),
    # comparisons
    ("status = 503", WEB, WEB),
    ('status = "503"', WEB, WEB),
    ("status != 503", WEB, None),
    ("status != 404", WEB, WEB),
    ("missing != 1", WEB, None),
    ("NOT missing = 1", WEB, WEB),
    ("status < 503", WEB, None),
    ("status <= 503", WEB, WEB),
    ("status > 502.5", WEB, WEB),
    ("code > 500", {"code": "503"}, {"code": "503"}),
    ('host > "web-0"', WEB, WEB),
    ("host < 5", WEB, None),
    ('host = "web-*"', WEB, WEB),
    ('host = "*-1"', WEB, WEB),
    ('host = "web"', WEB, None),
    ('host = "WEB-1"', WEB, None),
    ('flag = "true"', {"flag": True}, {"flag": True}),
    ("flag = 1", {"flag": True}, None),
    ('x = "a"', {"x": None}, None),
    # precedence and grouping
    ("a = 1 OR b = 1 AND c = 1", {"a": 1, "b": 0, "c": 0}, {"a": 1, "b": 0, "c": 0}),
    ("(a = 1 OR b = 1) AND c = 1", {"a": 1, "b": 0, "c": 0}, None),
    ("not not a = 1", {"a": 1}, {"a": 1}),
    ("a = 1 and b = 2 or c = 3", {"c": 3}, {"c": 3}),
    # dotted names
    ('user.name = "ana"', {"user": {"name": "ana"}}, {"user": {"name": "ana"}}),
    ('user.name = "ana"', {"user.name": "ana"}, {"user.name": "ana"}),
    ('user.name = "ana"', {"user": "ana"}, None),
    ('eval geo.country = "pt"', {"geo": {"city": "x"}}, {"geo": {"city": "x", "country": "pt"}}),
    ("eval copy = status", WEB, {**WEB, "copy": 503}),
    ("eval copy = missing", {"a": 1}, {"a": 1}),
    ("eval n = -2.5", {}, {"n": -2.5}),
    ("rename user.name as who", {"user": {"name": "ana"}}, {"user": {}, "who": "ana"}),
    ("rename missing as other", {"a": 1}, {"a": 1}),
    ("rename a as b, b as c", {"a": 1}, {"c": 1}),
    (
        "fields user.name, a",
        {"user": {"name": "x", "id": 2}, "a": 1, "b": 2},
        {"user": {"name": "x"}, "a": 1},
    ),
    ("fields nothing", WEB, {}),
    # strings and keywords
    (r'msg = "say \"hi\""', {"msg": 'say "hi"'}, {"msg": 'say "hi"'}),
    ('msg ?= "a|b"', {"msg": "xa|by"}, {"msg": "xa|by"}),
    ("fields = 1", {"fields": 1}, {"fields": 1}),
    ("EVAL x = 1 | FIELDS x", {"y": 2}, {"x": 1}),
    ('src-ip = "1"', {"src-ip": "1"}, {"src-ip": "1"}),
]

# (program, 1-based position, reason)
BAD_PROGRAMS = [
    ("", 1, "the program is empty"),
    ("status = | x", 10, "expected a value after '='"),
    ("status >=", 10, "expected a value after '>='"),
    ("status 500", 8, "expected a comparison operator after 'status'"),
    ("(a = 1", 7, "expected ')' to close the '(' at position 1"),
    ("a = 1 OR (b = 2", 16, "expected ')' to close the '(' at position 10"),
    ("a = 1 b = 2", 7, "unexpected 'b'; expected AND, OR or '|'"),
    ("a = 1 |", 8, "expected a stage after '|'"),
    ("| a = 1", 1, "expected a stage after the start of the program"),
    ("a = 1 || b = 2", 8, "expected a stage after '|'"),
    ("fields", 7, "expected a field name after 'fields'"),
    ("fields a,", 10, "expected a field name after ',', found the end of the program"),
    ("rename a b", 10, "expected 'as' after 'a'"),
    ("rename a as", 12, "expected a field name after 'as', found the end of the program"),
    ('eval x "a"', 8, "expected '=' after 'x'"),
    ("eval x = AND", 10, "expected a value after '='"),
    ('a = "abc', 5, "unterminated string"),
    ("a # 1", 3, "unexpected character '#'"),
    ("a = 1 AND", 10, "expected a field name, found the end of the program"),
    ("NOT", 4, "expected a field name, found the end of the program"),
    ("AND = 1", 1, "expected a field name, found 'AND'"),
    ("a = b", 5, "expected a value after '='"),
    ("a = 1 )", 7, "unexpected ')'; expected AND, OR or '|'"),
]


@pytest.mark.parametrize(("program", "event", "expected"), PROGRAMS)
def test_program_result(
    program: str, event: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    """Each program turns its event into the expected result (or filters it out)."""
    assert run(parse(program), event) == expected


@pytest.mark.parametrize(("program", "position", "reason"), BAD_PROGRAMS)
def test_bad_program_position(program: str, position: int, reason: str) -> None:
    """Each bad program is refused with the position and reason a person needs."""
    with pytest.raises(PdlError) as caught:
        parse(program)
    assert (caught.value.position, caught.value.reason) == (position, reason)
    assert str(caught.value) == f"pdl error at position {position}: {reason}"


def test_run_leaves_the_input_event_unchanged() -> None:
    """Writing stages work on a copy, because one event is shared by every reader of a stream."""
    event = {"user": {"name": "ana"}, "a": 1}
    run(parse("eval user.id = 7 | rename a as b | fields user"), event)
    assert event == {"user": {"name": "ana"}, "a": 1}
