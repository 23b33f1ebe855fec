"""`PassMemory`: what a pass keeps for the next one so that its cost grows with the change.

A pass over 10,000 pipelines where one file changed must not resolve, row and render 10,000
pipelines again. The pure core does each of those from values passed in; this holds those
values between passes: the last declared state with its resolution (`decide.resolve` reuses
what is unchanged), the last records adopted, the last report's rows with what they were made
from (`decide.rowmemo`), and the report's rendered pieces by row (`decide.fragments`). Each
answer equals the one made from scratch; the property tests of those modules hold it.

The methods are CPU work that grows with the fleet: call them off the event loop, one at a time.
Shell module (state between passes; no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.decide import resolve
from reconciler.decide.fragments import Fragments
from reconciler.decide.model import DeclaredState
from reconciler.decide.observed import Observation
from reconciler.decide.outcomes import Run
from reconciler.decide.records import Records, adopted
from reconciler.decide.report import Refusal, ReportInputs, report_of
from reconciler.decide.rowmemo import Earlier, rows_since
from reconciler.decide.rows import Inputs


@dataclass
class PassMemory:
    """See the module docstring."""

    resolved: tuple[DeclaredState, resolve.Resolution] | None = None
    """The last declared state resolved, with its resolution: the next one reuses its specs."""
    earlier: Earlier | None = None
    """The rows of the last report and what they were made from."""
    fragments: Fragments = field(default_factory=Fragments)
    """The report's pieces of the last pass, by the row they show."""
    adoption: tuple[Records, Mapping[str, object], Records] | None = None
    """The last records adopted, with the Cores' listings they were adopted with, and the result."""

    def adopted(self, records: Records, observations: Mapping[str, Observation]) -> Records:
        """`decide.records.adopted`, the same object again while the ledger's records are the
        same object (`ledger.sqlite`) and so is every Core's listing (`shell.core.client`):
        adoption reads only those, and the rows and the inventories are then reused whole."""
        listings = {core: seen.components for core, seen in observations.items()}
        kept = self.adoption
        if (
            kept is not None
            and kept[0] is records
            and kept[1].keys() == listings.keys()
            and all(kept[1][core] is listing for core, listing in listings.items())
        ):
            return kept[2]
        made = adopted(records, observations)
        self.adoption = (records, listings, made)
        return made

    def resolution(self, state: DeclaredState) -> resolve.Resolution:
        """`state` resolved, reusing what is unchanged since the last state resolved."""
        kept = self.resolved
        if kept is None or kept[0] is not state:
            kept = self.resolved = (state, resolve.resolution(state, kept))
        return kept[1]

    def report(
        self,
        inputs: Inputs,
        revision: str,
        runs: Sequence[Run],
        refused: Refusal | None,
        *,
        keep: bool = True,
    ) -> ReportInputs:
        """The report of `inputs`, its rows made again only where their inputs changed since the
        last report kept (`keep=False`: a variant, such as the live one, that is not kept)."""
        made, earlier = rows_since(inputs, self.earlier)
        if keep:
            self.earlier = earlier
        return report_of(inputs, revision, runs, refused, made)
