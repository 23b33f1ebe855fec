"""Reachability in the report (reconciler.decide.settle): flips show once they have held."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from reconciler.decide.observed import Reason
from reconciler.decide.settle import Shown, settled
from tests.support.world import NOW, held, seen, specs

PERIOD = timedelta(seconds=30)
UP = seen("edge-1", held(specs("main")))
DOWN = replace(UP, reachable=False, reason=Reason.TIMEOUT, message="slow")


def test_the_first_readback_shows_at_once() -> None:
    """Nothing shown before: the live state is shown."""
    assert settled({"edge-1": DOWN}, {}, NOW, PERIOD)["edge-1"].observation is DOWN


def test_a_fresh_flip_keeps_what_was_shown() -> None:
    """A Core that just stopped answering is still shown as it was, and the flip is timed."""
    found = settled({"edge-1": DOWN}, {"edge-1": Shown(UP)}, NOW, PERIOD)["edge-1"]
    assert (found.observation, found.differs_since) == (UP, DOWN.attempted_at)


def test_a_flip_that_held_is_shown() -> None:
    """Once the live state has differed for the whole period, it is what the report shows."""
    before = Shown(UP, NOW - PERIOD)
    assert settled({"edge-1": DOWN}, {"edge-1": before}, NOW, PERIOD)["edge-1"].observation is DOWN


def test_a_flip_that_reverts_never_shows() -> None:
    """Down for a moment, then up again: the report never changed, and the timer is reset."""
    flipping = settled({"edge-1": DOWN}, {"edge-1": Shown(UP)}, NOW, PERIOD)
    back = settled({"edge-1": UP}, flipping, NOW + PERIOD / 2, PERIOD)["edge-1"]
    assert (back.observation, back.differs_since) == (UP, None)


def test_a_core_awaiting_a_deploy_shows_at_once() -> None:
    """Not contacting a Core is not a flap: it is shown at once, both ways."""
    awaiting = replace(DOWN, reason=Reason.AWAITING_DEPLOY)
    assert (
        settled({"edge-1": awaiting}, {"edge-1": Shown(UP)}, NOW, PERIOD)["edge-1"].observation
        is awaiting
    )
    assert (
        settled({"edge-1": UP}, {"edge-1": Shown(awaiting)}, NOW, PERIOD)["edge-1"].observation
        is UP
    )
