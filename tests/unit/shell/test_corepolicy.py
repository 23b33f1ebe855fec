"""The pure parts of the client's policy: backoff delays, hold-off arithmetic, protocol tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.decide.observed import Reason
from reconciler.shell.core import api as coreapi
from reconciler.shell.core.policy import AuthBackoff, AuthGate, RetryPolicy

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("retry", "draw", "expected"),
    [(1, 0.0, 0.0), (1, 0.5, 0.125), (2, 0.5, 0.25), (3, 0.999, 0.999), (9, 0.5, 2.0)],
)
def test_full_jitter_stays_under_a_doubling_capped_ceiling(
    retry: int, draw: float, expected: float
) -> None:
    """The wait is draw * min(max_delay, base_delay * 2 ** (retry - 1))."""
    policy = RetryPolicy(attempts=10, base_delay=0.25, max_delay=4.0)
    assert policy.delay(retry, lambda: draw) == pytest.approx(expected)


def test_a_policy_without_attempts_is_refused() -> None:
    """At least one try is needed to do anything at all."""
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


def test_concurrent_401s_for_one_token_start_one_hold() -> None:
    """Several calls refused at once count as one failure, so the hold does not jump ahead."""
    gate = AuthGate(AuthBackoff(initial=10.0, maximum=100.0), lambda: NOW)
    first = gate.unauthorized(generation=1)
    second = gate.unauthorized(generation=1)
    assert first == second
    assert first.until == NOW + timedelta(seconds=10)


def test_a_retry_after_beyond_the_maximum_is_capped() -> None:
    """A Core asking for a day of silence gets the configured maximum."""
    gate = AuthGate(AuthBackoff(maximum=600.0), lambda: NOW)
    assert gate.locked_out(86_400).until == NOW + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("Tue, 01 Jan 2030 00:01:00 GMT", 60.0),
        ("Mon, 31 Dec 2029 23:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, expected: float | None) -> None:
    """Retry-After is delta-seconds or an HTTP date; anything else is ignored."""
    assert coreapi.parse_retry_after(header, NOW) == expected


@pytest.mark.parametrize(
    ("status", "reason", "retried", "transient"),
    [
        (400, Reason.REJECTED, False, False),
        (401, Reason.UNAUTHORIZED, False, False),
        (404, Reason.NOT_FOUND, False, False),
        (409, Reason.CONFLICT, False, False),
        (418, Reason.REJECTED, False, False),
        (422, Reason.REJECTED, False, False),
        (429, Reason.LOCKED_OUT, False, True),
        (500, Reason.SERVER_ERROR, True, True),
        (503, Reason.SERVER_ERROR, True, True),
        (302, Reason.BAD_RESPONSE, False, False),
    ],
)
def test_statuses_map_to_reasons(
    status: int, reason: Reason, retried: bool, transient: bool
) -> None:
    """Each status has one reason; only 5xx is retried at once."""
    found = coreapi.reason_for_status(status)
    assert (found, coreapi.is_retried(found), found.transient) == (
        reason,
        retried,
        transient,
    )
