"""The Git host adapter against the fake host API: every request one the host documents.

The client and its outbox talk to `tests.support.forgehost` for GitHub, GitLab and Gitea; the
fake checks each request against docs/forge-api/<host>.json and can fail on demand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from reconciler.decide.forge import MARKER, State, Status, plan_comment
from reconciler.shell.daemon.gitforge import HOSTS
from reconciler.shell.forge.api import ForgeError
from reconciler.shell.forge.client import ForgeClient
from reconciler.shell.forge.outbox import CommentParts, Outbox
from tests.support.forgehost import ForgeHost

TOKEN = "forge-token-5ecret-zz9"  # noqa: S105 (a test's token)
SHA = "b" * 40
REPO = "acme/pipelines"


@pytest.fixture(params=["github", "gitlab", "gitea"])
def host(request: pytest.FixtureRequest) -> Iterator[ForgeHost]:
    started = ForgeHost.start(request.param, REPO, TOKEN)
    yield started
    started.stop()


def client_of(host: ForgeHost, answered: list[str] | None = None) -> ForgeClient:
    seen = answered if answered is not None else []
    return ForgeClient(HOSTS[host.kind], host.url, REPO, TOKEN, seen.append)


async def drain(outbox: Outbox, rounds: int = 50) -> None:
    """Deliver until the outbox is empty, honouring each wait it asks for."""
    for _ in range(rounds):
        if outbox.state()["queued"] == 0:
            return
        delay = await outbox.deliver_one()
        await asyncio.sleep(delay)
    raise AssertionError(f"the outbox did not empty: {outbox.state()}")


def test_status_lands_as_the_host_documents(host: ForgeHost) -> None:
    """A commit status is posted with the host's own path, fields and state names."""
    client = client_of(host)

    async def go() -> None:
        await client.set_status(
            Status(SHA, "reconciler/validate", State.FAILURE, "bad", "http://x/y")
        )
        await client.close()

    asyncio.run(go())
    [posted] = host.statuses_for(SHA, "reconciler/validate")
    assert posted["state"] == ("failed" if host.kind == "gitlab" else "failure")
    assert posted["target_url"] == "http://x/y"
    assert host.problems == []


def test_open_pulls_with_head_and_files(host: ForgeHost) -> None:
    """Open pull requests come with their head commit and changed files; closed ones do not."""
    host.open_pull(7, SHA, ["assignments/web.yaml"])
    host.open_pull(8, "c" * 40, ["README.md"])
    host.close_pull(8)
    client = client_of(host)

    async def go() -> list[object]:
        try:
            return list(await client.open_pulls())
        finally:
            await client.close()

    [pull] = asyncio.run(go())
    assert (pull.number, pull.sha, pull.files) == (7, SHA, ("assignments/web.yaml",))  # type: ignore[attr-defined]
    assert host.problems == []


def test_one_comment_edited_in_place(host: ForgeHost) -> None:
    """The plan comment is created once, then edited; other comments are left alone."""
    host.open_pull(3, SHA, ["assignments/web.yaml"])
    outbox = Outbox(client_of(host), host.kind)

    async def go() -> None:
        outbox.put(CommentParts(3, plan_comment("first plan\n", 65536)))
        await drain(outbox)
        outbox.put(CommentParts(3, plan_comment("second plan\n", 65536)))
        await drain(outbox)
        outbox.put(CommentParts(3, plan_comment("second plan\n", 65536)))  # unchanged: no edit
        await drain(outbox)

    asyncio.run(go())
    [comment] = host.comments_on(3)
    assert comment["body"] == f"{MARKER}\nsecond plan\n"
    assert len(host.edits()) == 1
    assert host.problems == []


def test_a_split_comment_shrinks_back(host: ForgeHost) -> None:
    """A plan in two parts makes two comments; when it fits again the second says it is unused."""
    host.open_pull(4, SHA, ["cores/edge.yaml"])
    outbox = Outbox(client_of(host), host.kind)
    long_body = "".join(f"| row {n} |\n" for n in range(40))

    async def go() -> None:
        outbox.put(CommentParts(4, plan_comment(long_body, 300)))
        await drain(outbox)
        outbox.put(CommentParts(4, plan_comment("short\n", 300)))
        await drain(outbox)

    asyncio.run(go())
    bodies = [c["body"] for c in host.comments_on(4)]
    assert len(bodies) >= 2
    assert bodies[0] == f"{MARKER}\nshort\n"
    assert all("this one is unused" in body for body in bodies[1:])
    assert host.problems == []


def test_server_errors_are_retried_until_the_status_lands(host: ForgeHost) -> None:
    """Three 500s in a row: the status waits with backoff and lands once the host recovers."""
    host.fail(500, times=3)
    retries: list[None] = []
    outbox = Outbox(client_of(host), host.kind, lambda: retries.append(None), backoff=0.01)
    outbox.put(Status(SHA, "reconciler/deploy", State.PENDING, "Deploy All x: claimed"))
    asyncio.run(drain(outbox))
    assert len(host.statuses_for(SHA, "reconciler/deploy")) == 1
    assert len(retries) == 3
    assert outbox.state()["delivered"] == 1


@pytest.mark.parametrize("code", [403, 429])
def test_rate_limit_waits_as_asked(host: ForgeHost, code: int) -> None:
    """A rate-limit answer is waited out (Retry-After) and counted, then the status lands."""
    remaining = HOSTS[host.kind].rate_remaining
    host.fail(code, times=1, headers={"Retry-After": "1", remaining: "0"})
    answered: list[str] = []
    outbox = Outbox(client_of(host, answered), host.kind, backoff=0.01)
    outbox.put(Status(SHA, "reconciler/plan", State.SUCCESS, "1 change(s)"))

    async def first() -> float:
        return await outbox.deliver_one()

    assert asyncio.run(first()) == 1.0
    asyncio.run(drain(outbox))
    assert answered[0] == "rate-limited"
    assert len(host.statuses_for(SHA, "reconciler/plan")) == 1


@pytest.mark.parametrize("code", [401, 404, 422])
def test_permanent_refusals_are_dropped_and_named(host: ForgeHost, code: int) -> None:
    """A 4xx is given up on (not retried for ever); the state says why, without the token."""
    host.fail(code, times=None)
    outbox = Outbox(client_of(host), host.kind, backoff=0.01)
    outbox.put(Status(SHA, "reconciler/validate", State.SUCCESS, "valid"))
    asyncio.run(drain(outbox))
    state = outbox.state()
    assert (state["dropped"], state["queued"]) == (1, 0)
    assert str(code) in str(state["last_error"])
    assert TOKEN not in str(state)


def test_newest_status_wins_per_sha_and_context(host: ForgeHost) -> None:
    """Two statuses for the same commit and context before delivery: only the newest is sent."""
    outbox = Outbox(client_of(host), host.kind)
    outbox.put(Status(SHA, "reconciler/deploy", State.PENDING, "claimed"))
    outbox.put(Status(SHA, "reconciler/deploy", State.SUCCESS, "done"))
    outbox.put(Status(SHA, "reconciler/validate", State.SUCCESS, "valid"))
    asyncio.run(drain(outbox))
    [deploy] = host.statuses_for(SHA, "reconciler/deploy")
    assert deploy["description"] == "done"
    assert len(host.statuses_for(SHA, "reconciler/validate")) == 1


def test_unreachable_host_is_transient() -> None:
    """A host nobody answers on is a transient error naming the host, never the token."""
    client = ForgeClient(HOSTS["github"], "http://127.0.0.1:9", REPO, TOKEN)

    async def go() -> None:
        try:
            await client.set_status(Status(SHA, "reconciler/plan", State.PENDING, "x"))
        finally:
            await client.close()

    with pytest.raises(ForgeError) as caught:
        asyncio.run(go())
    assert caught.value.transient
    assert "github POST /repos/acme/pipelines/statuses/" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_marked_comment_by_someone_else_is_not_ours(host: ForgeHost) -> None:
    """Anyone may write the marker: the plan goes in the token user's own comment, theirs stays."""
    host.open_pull(9, SHA, ["assignments/web.yaml"])
    spoof = host.add_comment(9, f"{MARKER}\nfake plan: all good", author="mallory")
    outbox = Outbox(client_of(host), host.kind)
    outbox.put(CommentParts(9, plan_comment("the real plan\n", 65536)))
    asyncio.run(drain(outbox))
    bodies = {c["id"]: c["body"] for c in host.comments_on(9)}
    assert bodies[spoof] == f"{MARKER}\nfake plan: all good"
    assert f"{MARKER}\nthe real plan\n" in bodies.values()
    assert outbox.state()["dropped"] == 0
    assert host.problems == []
