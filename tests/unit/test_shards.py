"""Shards of Cores by rendezvous hashing, and the lease quota of a replica (`decide.shards`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.decide.shards import quota, shard_of, split, wanted

NAMES = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
FLEET = [f"edge-{n:05d}" for n in range(10_000)]


def test_the_shard_of_a_name_is_fixed() -> None:
    """The hash is sha256, the same in every process and release: these values never change."""
    assert [shard_of(f"edge-{n}", 3) for n in range(1, 7)] == [0, 2, 2, 1, 0, 1]
    assert [shard_of(f"edge-{n}", 2) for n in range(1, 7)] == [0, 1, 0, 1, 0, 1]


def test_one_shard_holds_everything() -> None:
    """With one shard every Core is in shard 0 (today's single active replica)."""
    assert {shard_of(name, 1) for name in FLEET[:100]} == {0}


def test_no_shards_is_refused() -> None:
    """Zero shards is a programming error, not a silent default."""
    with pytest.raises(ValueError, match="at least 1"):
        shard_of("edge-1", 0)


@pytest.mark.parametrize("shards", [2, 3, 8, 16])
def test_ten_thousand_cores_spread_evenly(shards: int) -> None:
    """10,000 Cores: every shard within 10 % of its fair share."""
    sizes = [len(names) for names in split(FLEET, shards).values()]
    fair = len(FLEET) / shards
    assert len(sizes) == shards
    assert all(abs(size - fair) < 0.1 * fair for size in sizes), sizes


def test_split_is_sorted_and_complete() -> None:
    """`split` puts every Core in exactly one shard, names sorted."""
    found = split(["c", "a", "b", "d", "e"], 3)
    assert sorted(name for names in found.values() for name in names) == ["a", "b", "c", "d", "e"]
    assert all(list(names) == sorted(names) for names in found.values())
    assert all(shard_of(name, 3) == shard for shard, names in found.items() for name in names)


@settings(max_examples=200, deadline=None)
@given(name=NAMES, shards=st.integers(min_value=1, max_value=64))
def test_a_shard_is_in_range_and_stable(name: str, shards: int) -> None:
    """Any name, any N: the shard is in 0 ... N - 1 and the same when asked again."""
    found = shard_of(name, shards)
    assert 0 <= found < shards
    assert shard_of(name, shards) == found


@settings(max_examples=200, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=50), shards=st.integers(1, 32))
def test_one_more_shard_moves_cores_only_to_it(names: list[str], shards: int) -> None:
    """From N to N + 1 shards a Core stays where it was or moves to the new shard N."""
    for name in names:
        assert shard_of(name, shards + 1) in (shard_of(name, shards), shards)


@pytest.mark.parametrize(
    ("shards", "live", "most"),
    [(3, 1, 3), (3, 2, 2), (3, 3, 1), (3, 4, 1), (1, 3, 1), (8, 3, 3), (3, 0, 3)],
)
def test_the_quota_is_a_fair_share_rounded_up(shards: int, live: int, most: int) -> None:
    """ceil(N / live replicas), and all of them when no replica is counted yet."""
    assert quota(shards, live) == most


@pytest.mark.parametrize(
    ("shard", "held", "most", "wants"),
    [
        (0, set(), 1, True),  # a free shard while under the quota
        (1, {0}, 1, False),  # at the quota: leave it to another
        (0, {0}, 1, True),  # keep what it holds within the quota
        (2, {0, 1, 2}, 1, False),  # over the quota: give up the highest first
        (0, {0, 1, 2}, 1, True),
        (1, {0, 1, 2}, 2, True),
        (2, {0, 1}, 3, True),  # a replica died: the survivors take its shard
    ],
)
def test_a_replica_wants_its_share(shard: int, held: set[int], most: int, wants: bool) -> None:
    """Free shards under the quota, and the lowest-numbered `quota` of those held."""
    assert wanted(shard, held, most) is wants


@settings(max_examples=200, deadline=None)
@given(shards=st.integers(1, 16), live=st.integers(1, 16))
def test_replicas_that_keep_their_quota_cover_every_shard(shards: int, live: int) -> None:
    """`live` replicas holding at most their quota each can hold all N shards between them."""
    assert quota(shards, live) * live >= shards
