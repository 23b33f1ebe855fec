"""Reachability as the report shows it: a Core's flip is reported once it has held a while.

A Core that flaps (answers, times out, answers again) would otherwise change the report, and
so make a report commit, on every flip. The report instead shows each Core as it was last
shown until its live reachability has differed for `period`; then it shows the live one. A
flip that reverts within `period` never reaches the report. The daemon's `/api/status` and its
metrics stay live. A Core not contacted because it awaits a Deploy All is shown at once.

Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.decide.observed import Observation, Reason

SETTLE_INTERVALS = 2
"""The settle period, in readback intervals: a flip shows after two readbacks agree on it."""


@dataclass(frozen=True, slots=True)
class Shown:
    """A Core as the report last showed it, and since when the live state has differed."""

    observation: Observation
    differs_since: datetime | None = None


def settled(
    live: Mapping[str, Observation],
    shown: Mapping[str, Shown],
    now: datetime,
    period: timedelta,
) -> dict[str, Shown]:
    """What the report shows of each Core of `live` now (see the module docstring)."""
    return {
        core: _settle(observation, shown.get(core), now, period)
        for core, observation in live.items()
    }


def _settle(live: Observation, before: Shown | None, now: datetime, period: timedelta) -> Shown:
    if before is None or before.observation.reachable == live.reachable:
        return Shown(live)
    if _not_contacted(live) or _not_contacted(before.observation):
        return Shown(live)
    since = before.differs_since or live.attempted_at
    if now - since >= period:
        return Shown(live)
    return Shown(before.observation, since)


def _not_contacted(observation: Observation) -> bool:
    return observation.reason is Reason.AWAITING_DEPLOY
