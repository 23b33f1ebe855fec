"""The plan page (reconciler.decide.pages.plan): the head's plan from what the daemon holds."""

from __future__ import annotations

from reconciler.decide.pages.plan import plan_page
from reconciler.decide.plan import plan
from reconciler.decide.report import Refusal
from tests.support.pageinputs import sample
from tests.support.world import BASE

INPUTS = sample()


def test_the_digest_is_the_plan_digest_of_the_same_state() -> None:
    """The page's digest is `decide.plan`'s for the same state, records and readbacks."""
    page = plan_page(INPUTS, BASE, "abc" * 14, None)
    expected = plan(BASE, INPUTS.records, INPUTS.observations, "abc" * 14)
    assert (page.digest, page.changes, page.head) == (expected.digest, expected.changes, "abc" * 4)


def test_a_changed_component_is_updated_with_the_fields_it_changes() -> None:
    """The drifted task is written again: the update names the field, now and after."""
    page = plan_page(INPUTS, BASE, "head", None)
    [edge_1] = [core for core in page.cores if core.core == "edge-1"]
    [update] = [op for op in edge_1.operations if op.component == "task/filter"]
    assert (update.mark, update.op, update.pipelines) == ("~", "update", ("main",))
    assert [(c.path, c.now, c.after) for c in update.changes] == [
        ("query", '"level = \\"the core said no\\""', '"level = \\"error\\""')
    ]
    assert '"query": "level = \\"error\\""' in update.spec


def test_a_core_that_cannot_be_read_back_is_blocked() -> None:
    """An unreachable Core is blocked, with its reason."""
    page = plan_page(INPUTS, BASE, "head", None)
    assert [(c.core, c.blocked) for c in page.cores] == [("edge-1", ""), ("edge-2", "timeout")]
    assert page.blocked == 1


def test_a_refused_head_has_no_plan() -> None:
    """When the head is refused the page lists its problems and plans nothing."""
    page = plan_page(INPUTS, BASE, "head", Refusal("head", ("a.yaml:1: broken",)))
    assert (page.refused, page.cores, page.digest) == (("a.yaml:1: broken",), (), "")
