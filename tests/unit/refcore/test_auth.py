"""Token files in both forms, and the per-address lockout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.refcore.auth import Lockout, Token, TokenFileError, parse_token


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("abc123\n", Token("abc123")),
        (
            '{"token": "abc", "expires_at": "2030-01-01T00:00:00Z"}',
            Token("abc", datetime(2030, 1, 1, tzinfo=UTC)),
        ),
        ('{"token": "abc", "expires_at": null}', Token("abc")),
        (
            '{"token": "abc", "expires_at": "2030-01-01T00:00:00"}',
            Token("abc", datetime(2030, 1, 1, tzinfo=UTC)),
        ),
    ],
)
def test_token_forms(text: str, token: Token) -> None:
    """Plain text and PADAS's JSON form both give the token."""
    assert parse_token(text, "f") == token


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must hold one token without spaces"),
        ("two words", "must hold one token without spaces"),
        ('{"token": ', "holds malformed JSON"),
        ('{"secret": "s3cr3t"}', "must have a non-empty string 'token'"),
        ('{"token": "s3cr3t", "expires_at": "soon"}', "has an invalid 'expires_at'"),
    ],
)
def test_bad_token_files(text: str, message: str) -> None:
    """A bad token file is refused with a sentence that never repeats its content."""
    with pytest.raises(TokenFileError, match=message) as caught:
        parse_token(text, "tokens/core")
    assert "s3cr3t" not in str(caught.value)


def test_expiry() -> None:
    """A token is expired from its expires_at on."""
    token = Token("t", datetime(2030, 1, 1, tzinfo=UTC))
    assert not token.expired(datetime(2029, 12, 31, tzinfo=UTC))
    assert token.expired(datetime(2030, 1, 1, tzinfo=UTC))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lockout_after_threshold_failures_then_released() -> None:
    """The threshold-th failure within the period locks the address out for the period."""
    clock = Clock()
    lockout = Lockout(3, 60, clock)
    for _ in range(2):
        lockout.failed("a")
    assert lockout.retry_after("a") is None
    lockout.failed("a")
    assert lockout.retry_after("a") == 60
    assert lockout.retry_after("b") is None
    clock.now += 59.5
    assert lockout.retry_after("a") == 1
    clock.now += 1
    assert lockout.retry_after("a") is None


def test_old_failures_and_successes_do_not_count() -> None:
    """Failures older than the period, or before a success, do not add up to a lockout."""
    clock = Clock()
    lockout = Lockout(2, 60, clock)
    lockout.failed("a")
    clock.now += 61
    lockout.failed("a")
    assert lockout.retry_after("a") is None
    lockout.succeeded("a")
    lockout.failed("a")
    assert lockout.retry_after("a") is None
