"""Each Core's inventory in the report folder: what was deployed there, for everyone to read.

The daemon's ledger knows what it deployed; a person's checkout does not. So the report holds,
per Core, `inventory/<core>.json`: the specs this reconciler applied there, what it owns, which
pipelines are deployed (revision, time, request) and the last deploy and start errors of each
cell: the records the daemon judged its rows by. `reconciler status`, `plan` and `diff` without
`--state-dir` read it from the checkout's report folder, so that they give the same rows, tags
and cells as the daemon (a component deleted on a Core is drift, not "pending", and a Core that
does not answer is `unknown`, not `missing`). Git keeps its history like any other file.

The report folder is written by the daemon and never read by it; anyone who can push can edit
it, so a command reading it trusts it no more than the checkout it is in, and ignores what it
cannot read. `--state-dir` reads the ledger itself. Pure module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from reconciler.decide.components import ComponentSpec, Key
from reconciler.decide.model import NAME_PATTERN, ComponentKind
from reconciler.decide.observed import MANAGED_BY, Observation, ObservedComponent
from reconciler.decide.outcomes import OutcomeReason
from reconciler.decide.records import CellError, Deployment, Records, Stage, by_core

_NAME = re.compile(NAME_PATTERN)
FOLDER = "inventory"
"""The inventory's folder inside the report folder."""
MAX_BYTES = 32 << 20
"""An inventory file larger than this is not read."""


def inventories(records: Records, cores: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`inventory/<core>.json` documents for every Core with a valid name, by path in the
    report folder."""
    own = by_core(records)
    named = set(cores) | set(own)
    return {
        f"{FOLDER}/{core}.json": inventory(own.get(core, Records()), core)
        for core in sorted(named)
        if _NAME.fullmatch(core)
    }


def inventory(records: Records, core: str) -> dict[str, Any]:
    """One Core's inventory document (`records`: the ledger's, or the Core's own)."""
    deployments = {p: d for (c, p), d in records.deployments.items() if c == core}
    components = {
        _label(spec.key): dict(spec.body)
        for deployment in deployments.values()
        for spec in deployment.components
    }
    return {
        "core": core,
        "components": dict(sorted(components.items())),
        "owned": sorted(_label(key) for key in records.owned.get(core, frozenset())),
        "pipelines": {
            pipeline: {
                "revision": d.revision,
                "deployed_at": d.deployed_at.isoformat(),
                "request": d.request_id,
                "components": [_label(spec.key) for spec in d.components],
            }
            for pipeline, d in sorted(deployments.items())
        },
        "errors": [
            {
                "pipeline": e.pipeline,
                "stage": e.stage.value,
                "reason": e.reason.value,
                "message": e.message,
                "at": e.at.isoformat(),
            }
            for (c, _p, _s), e in sorted(records.errors.items())
            if c == core
        ],
    }


def records_from_inventory(documents: Mapping[str, bytes]) -> Records:
    """The records the inventory files hold (by file name); a file it cannot read is skipped."""
    deployments: dict[tuple[str, str], Deployment] = {}
    owned: dict[str, frozenset[Key]] = {}
    errors: dict[tuple[str, str, Stage], CellError] = {}
    for content in documents.values():
        try:
            core, found = _read(json.loads(content))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        deployments.update(found.deployments)
        owned[core] = found.owned.get(core, frozenset())
        errors.update(found.errors)
    return Records(deployments=deployments, owned=owned, errors=errors)


def _read(document: Mapping[str, Any]) -> tuple[str, Records]:
    core = str(document["core"])
    bodies = {label: dict(body) for label, body in document["components"].items()}
    deployments = {
        (core, pipeline): Deployment(
            core,
            pipeline,
            tuple(ComponentSpec(*_key(label), bodies[label]) for label in entry["components"]),
            str(entry["revision"]),
            datetime.fromisoformat(entry["deployed_at"]),
            str(entry["request"]),
        )
        for pipeline, entry in document["pipelines"].items()
    }
    errors = {
        (core, e["pipeline"], Stage(e["stage"])): CellError(
            core,
            e["pipeline"],
            Stage(e["stage"]),
            OutcomeReason(e["reason"]),
            str(e["message"]),
            datetime.fromisoformat(e["at"]),
        )
        for e in document["errors"]
    }
    owned = {core: frozenset(_key(label) for label in document["owned"])}
    return core, Records(deployments=deployments, owned=owned, errors=errors)


def _label(key: Key) -> str:
    return f"{key[0].value}/{key[1]}"


def _key(label: str) -> Key:
    kind, name = label.split("/", 1)
    return (ComponentKind(kind), name)


def held_as_recorded(records: Records, core: str, at: datetime) -> Observation:
    """What a Core holds if nothing changed there since the records were written: every
    component deployed there, with the metadata this reconciler wrote (`plan --offline`, and a
    Core that cannot be reached when planning a revision). Drift since then is not seen."""
    users: dict[Key, set[str]] = {}
    bodies: dict[Key, Mapping[str, Any]] = {}
    for (on, pipeline), deployment in records.deployments.items():
        if on != core:
            continue
        for spec in deployment.components:
            users.setdefault(spec.key, set()).add(pipeline)
            bodies[spec.key] = spec.body
    components = {
        key: ObservedComponent(
            key[0],
            key[1],
            body,
            metadata={"managed-by": MANAGED_BY, "pipelines": sorted(users[key])},
        )
        for key, body in bodies.items()
    }
    return Observation(core, True, at, last_seen=at, components=components)
