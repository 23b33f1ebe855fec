"""What the Core client's integration tests share: Core values pointing at real reference Cores,
fast client settings, fault rules, and counting the requests a Core received.

Requests are counted from the Core's own access log (one uvicorn line per request), so "the
client sent nothing" is checked where it happens, on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.decide.model import Core, Origin, SecretRef, Tls
from reconciler.shell.core.policy import AuthBackoff, ClientSettings, RetryPolicy, Timeouts
from tests.support.cores import CoreProcess

TOKEN_VARIABLE = "EDGE_TOKEN"  # noqa: S105 (the name of a variable, not a token)

FAST = ClientSettings(
    timeouts=Timeouts(connect=2.0, read=2.0, operation=10.0),
    retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05),
    auth=AuthBackoff(initial=30.0, maximum=240.0, lockout_default=60.0),
)
"""Retries without real waiting; a hold-off long enough that no test outlives it by accident."""


def core_of(
    process: CoreProcess, token: SecretRef | None = None, tls: Tls = Tls(), url: str | None = None
) -> Core:
    """The declared Core for a running reference Core; the token comes from TOKEN_VARIABLE."""
    return Core(
        name=process.name,
        url=url or process.url,
        token=token or SecretRef(env=TOKEN_VARIABLE),
        origin=Origin(f"cores/{process.name}.yaml", 1),
        tls=tls,
    )


def environ_of(process: CoreProcess) -> dict[str, str]:
    return {TOKEN_VARIABLE: process.token}


class FakeClock:
    """A clock the test moves by hand: hold-offs end when the test says, not after real waiting."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
