"""An `Observation` as JSON text and back: how a shard's readback is shared with the report.

With `--shards N` each replica reads back only the Cores of its shards and publishes what it saw
in the shared ledger database; the replica that writes the report reads the others back from
there (`shell.ledger.pgshards`). `loads(dumps(o)) == o` for every observation. Pure module.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from reconciler.decide.model import ComponentKind
from reconciler.decide.observed import Observation, ObservedComponent, Reason, Runtime


def dumps(observation: Observation) -> str:
    document = {
        "core": observation.core,
        "reachable": observation.reachable,
        "attempted_at": observation.attempted_at.isoformat(),
        "last_seen": _iso(observation.last_seen),
        "version": observation.version,
        "reason": observation.reason.value if observation.reason else None,
        "message": observation.message,
        "duration_ms": observation.duration_ms,
        "components": [_component(c) for _key, c in sorted(observation.components.items())],
    }
    return json.dumps(document, sort_keys=True)


def loads(text: str) -> Observation:
    found: dict[str, Any] = json.loads(text)
    components = [_read_component(c) for c in found["components"]]
    return Observation(
        core=found["core"],
        reachable=found["reachable"],
        attempted_at=datetime.fromisoformat(found["attempted_at"]),
        last_seen=datetime.fromisoformat(found["last_seen"]) if found["last_seen"] else None,
        components={c.key: c for c in components},
        version=found["version"],
        reason=Reason(found["reason"]) if found["reason"] else None,
        message=found["message"],
        duration_ms=found["duration_ms"],
    )


def _component(component: ObservedComponent) -> dict[str, Any]:
    return {
        "kind": component.kind.value,
        "name": component.name,
        "body": component.body,
        "state": component.state.value if component.state else None,
        "error": component.error,
        "metadata": component.metadata,
    }


def _read_component(found: dict[str, Any]) -> ObservedComponent:
    return ObservedComponent(
        kind=ComponentKind(found["kind"]),
        name=found["name"],
        body=found["body"],
        state=Runtime(found["state"]) if found["state"] else None,
        error=found["error"],
        metadata=found["metadata"],
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
