"""What a pass keeps for the next (`shell.memo.PassMemory`): the same answers, made less often."""

from __future__ import annotations

from dataclasses import replace

from reconciler.decide.records import adopted
from reconciler.shell.memo import PassMemory
from tests.support.world import deployment, held, records, seen, specs


def test_adoption_is_reused_while_the_records_and_every_listing_are_the_same_objects() -> None:
    ledger = records(deployment("edge-1", "main"))
    listing = held(specs("main"))
    observations = {"edge-1": seen("edge-1", listing), "edge-2": seen("edge-2", {})}
    memory = PassMemory()
    first = memory.adopted(ledger, observations)
    assert first == adopted(ledger, observations)
    # a readback that found the same listing: a new observation, the same components
    again = {**observations, "edge-1": replace(observations["edge-1"], version="refcore-0.2.0")}
    assert memory.adopted(ledger, again) is first
    # what adoption reads changed: the records, a listing, the Cores observed
    for changed_records, changed in (
        (records(deployment("edge-1", "main")), again),
        (ledger, {**again, "edge-2": seen("edge-2", held(specs("detect")))}),
        (ledger, {"edge-1": again["edge-1"]}),
    ):
        made = memory.adopted(changed_records, changed)
        assert made is not first
        assert made == adopted(changed_records, changed)
    assert memory.adopted(ledger, {"edge-1": again["edge-1"]}) is made
