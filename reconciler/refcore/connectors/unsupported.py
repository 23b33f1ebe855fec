"""Connector classes the reference Core accepts but cannot run: kafka, object_storage, splunk.

They deploy like any other connector (so a reconciler can manage them), and starting one fails
it with a sentence saying why. Pure module apart from the Worker shape.
"""

from __future__ import annotations

from reconciler.refcore.runtime import WorkerError


class Unsupported:
    """A worker whose `open` always fails."""

    def __init__(self, class_: str) -> None:
        self.class_ = class_

    async def open(self) -> None:
        raise WorkerError(f"class {self.class_} cannot run on the reference core")

    async def run(self) -> None:
        raise WorkerError(f"class {self.class_} cannot run on the reference core")

    async def close(self) -> None:
        return None
