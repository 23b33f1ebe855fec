"""Each Core's inventory in the report (reconciler.decide.inventory): written, then read back."""

from __future__ import annotations

import json

from reconciler.decide.inventory import inventories, records_from_inventory
from reconciler.decide.outcomes import OutcomeReason
from reconciler.decide.records import Records, Stage
from tests.support.world import deployment, error, records


def read_back(found: Records) -> Records:
    files = {
        path: json.dumps(document).encode() for path, document in inventories(found, []).items()
    }
    return records_from_inventory(files)


def test_an_inventory_holds_what_the_ledger_knew() -> None:
    """Deployments, ownership and cell errors come back from the inventory files unchanged."""
    known = records(
        deployment("edge-1", "main"),
        deployment("edge-1", "detect"),
        deployment("edge-2", "detect", revision="rev-2"),
        errors=[error("edge-2", "detect", Stage.START, OutcomeReason.START_FAILED)],
    )
    again = read_back(known)
    assert again.deployments == known.deployments
    assert again.owned == known.owned
    assert again.errors == known.errors


def test_every_declared_core_has_an_inventory() -> None:
    """A declared Core with nothing deployed still gets its (empty) inventory file."""
    found = inventories(Records(), ["edge-1"])
    assert list(found) == ["inventory/edge-1.json"]
    assert found["inventory/edge-1.json"]["pipelines"] == {}


def test_a_file_that_cannot_be_read_is_skipped() -> None:
    """Garbage in the report folder costs only that file, never the command."""
    good = {
        path: json.dumps(doc).encode()
        for path, doc in inventories(records(deployment("edge-1", "main")), []).items()
    }
    files = {**good, "inventory/bad.json": b"{not json", "inventory/odd.json": b'{"core": 1}'}
    assert set(records_from_inventory(files).deployments) == {("edge-1", "main")}


def test_names_that_are_no_core_name_get_no_file() -> None:
    """A Core name that could make a path is never one (the report folder stays flat)."""
    assert inventories(Records(), ["../escape", "edge-1"]).keys() == {"inventory/edge-1.json"}
