"""Which shard a Core belongs to, and how many shard leases one replica should hold.

`--shards N` splits the Cores among the active replicas (SPEC §11): each shard has a lease of
its own, and a replica reads back, deploys and acts only on the Cores of the shards it holds.

- `shard_of(core, n)`: rendezvous (highest random weight) hashing of the Core's name. Each
  shard s scores the name with sha256("s/name") and the highest score wins. It is the same in
  every process and on every machine (sha256, never Python's salted `hash()`), it spreads names
  evenly, and it moves as little as possible when N changes: going from N to N + 1 shards, a
  Core either stays or moves to the new shard N, so about 1 / (N + 1) of the Cores move.
- `quota(n, live)`: the most shards a replica holds while `live` replicas are alive,
  ceil(N / live), so that three replicas with three shards hold one each.
- `wanted(shard, held, quota)`: whether a replica wants a shard's lease: a free one while it
  holds fewer than its quota, and of those it holds, the lowest-numbered `quota` (it gives up
  the rest, one by one, for others to take).

Pure module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Set

REPORT = -1
"""The lease of the report (and of the requests and the source's progress) when sharded: the
advisory lock object and `leases` row that no data shard uses."""


def score(shard: int, core: str) -> int:
    """The weight of `core` for `shard`: the first 8 bytes of sha256("shard/core")."""
    digest = hashlib.sha256(f"{shard}/{core}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def shard_of(core: str, shards: int) -> int:
    """The shard of the Core named `core` among `shards` (0 ... shards - 1)."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    if shards == 1:
        return 0
    return max(range(shards), key=lambda shard: (score(shard, core), -shard))


def split(cores: Iterable[str], shards: int) -> dict[int, tuple[str, ...]]:
    """The Cores of each shard that has any, sorted by name."""
    found: dict[int, list[str]] = {}
    for core in sorted(cores):
        found.setdefault(shard_of(core, shards), []).append(core)
    return {shard: tuple(names) for shard, names in sorted(found.items())}


def quota(shards: int, live: int) -> int:
    """The most shard leases one of `live` replicas holds: ceil(shards / live)."""
    return -(-shards // max(1, live))


def wanted(shard: int, held: Set[int], most: int) -> bool:
    """Whether a replica holding `held` wants the lease of `shard`, with `most` its quota."""
    if shard in held:
        return shard in sorted(held)[:most]
    return len(held) < most
