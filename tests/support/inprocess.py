"""The in-process tier: real reference Core apps in the test's own event loop, no sockets.

    async with World.open(tmp_path, ["edge-1", "edge-2"]) as world:
        world.assign("web", ["edge-1"]); world.push("assign web")
        result = await world.reconciler.run_pass()        # the real orchestrator
        await world.held("edge-1", "connectors")           # what the Core holds now

Each `AppCore` is the reference Core's own ASGI app (`reconciler.refcore.serve.prepare`) with
its data directory and token, its lifespan running for the whole test; the reconciler's Core
clients reach it through `httpx.ASGITransport` (the `CorePool` transport factory), keyed by the
Core's URL, so a URL nobody serves is unreachable, as on a network. `World` adds a real bare
origin and a person's clone (`tests/cases/e2e/repo` with one Core file per app), a real SQLite
ledger and the daemon's own bare clone: the same parts `reconciler once` wires together.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from reconciler.decide.model import Core
from reconciler.refcore.serve import ServeSettings, prepare
from reconciler.shell.clock import utc_now
from reconciler.shell.config import Config
from reconciler.shell.core.policy import ClientSettings, RetryPolicy, Timeouts
from reconciler.shell.core.pool import CorePool
from reconciler.shell.ledger.sqlite import SqliteLedger
from reconciler.shell.listeners import Listeners, PassEvent
from reconciler.shell.reconcile import Reconciler
from reconciler.shell.repo.source import GitSource
from tests.support.repos import CASES, commit_all, git, init_repo

TEMPLATE = CASES / "e2e" / "repo"
FAST = ClientSettings(
    timeouts=Timeouts(connect=1.0, read=2.0, operation=5.0),
    retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
)


class Recording:
    """An ASGI app in front of another that keeps (method, path, Authorization) of each request."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str | None]] = []
        self.deletes_not_found = False
        """Answer every DELETE 404 without passing it on, as a broken proxy might."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            authorization = headers.get(b"authorization")
            self.seen.append(
                (scope["method"], scope["path"], authorization.decode() if authorization else None)
            )
            if self.deletes_not_found and scope["method"] == "DELETE":
                body = b'{"code": "not_found", "message": "no such component"}'
                start = {"type": "http.response.start", "status": 404, "headers": []}
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class Cutting(httpx.AsyncBaseTransport):
    """The Core's transport, which can lose answers: a request matching `cut` reaches the Core
    (which applies it) and its answer is lost as a reset connection would lose it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.cut: tuple[str, str] | None = None
        """(method, path prefix) of the requests whose answers are lost."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.cut and request.method == self.cut[0] and request.url.path.startswith(self.cut[1]):
            await response.aclose()
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        return response


@dataclass
class AppCore:
    """One reference Core app, its token in the environment variable `variable`; `seen` lists
    the requests it received."""

    name: str
    url: str
    variable: str
    token: str
    app: Starlette
    recording: Recording
    transport: Cutting

    @property
    def seen(self) -> list[tuple[str, str, str | None]]:
        return self.recording.seen

    def client(self, admin: bool = False) -> httpx.AsyncClient:
        """An HTTP client on the Core's app, with its (or its admin) bearer token."""
        token = f"admin-{self.token}" if admin else self.token
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.recording, client=("127.0.0.1", 40001)),
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def held(self, kind: str) -> dict[str, dict[str, Any]]:
        """What the Core holds of one kind (`connectors`, …), by name, as its protocol says."""
        async with self.client() as client:
            answer = await client.get(f"/api/v1/{kind}")
        answer.raise_for_status()
        return {item["id"]: item for item in answer.json()}

    async def faults(self, *rules: dict[str, Any]) -> None:
        """Replace the Core's fault rules (none: clear them)."""
        async with self.client(admin=True) as client:
            answer = await client.put("/admin/v1/faults", json={"rules": list(rules)})
        answer.raise_for_status()

    def yaml(self, labels: str = "{tier: edge}") -> str:
        return (
            "apiVersion: reconciler/v1\nkind: Core\n"
            f"name: {self.name}\nurl: {self.url}\ntoken: {{env: {self.variable}}}\n"
            f"labels: {labels}\n"
        )


def app_core(root: Path, name: str, index: int) -> AppCore:
    """A reference Core app for `name`, with a token of its own in `root/name`."""
    folder = root / name
    folder.mkdir(parents=True)
    token = f"token-{name}-{index}-0123456789abcdef"
    (folder / "token").write_text(token + "\n")
    (folder / "admin-token").write_text("admin-" + token + "\n")
    settings = ServeSettings(
        name=name,
        port=0,
        data_dir=folder / "data",
        token_file=folder / "token",
        admin_token_file=folder / "admin-token",
    )
    url = f"http://{name}.cores.invalid:8999"
    app = prepare(settings)
    recording = Recording(app)
    transport = Cutting(httpx.ASGITransport(app=recording, client=("127.0.0.1", 40000)))
    return AppCore(name, url, f"PADAS_TOKEN_CORE_{index}", token, app, recording, transport)


class Heard:
    """A listener that keeps every event, for tests to look at."""

    def __init__(self) -> None:
        self.events: list[PassEvent] = []

    def heard(self, event: PassEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class World:
    root: Path
    cores: dict[str, AppCore]
    origin: Path
    work: Path
    state: Path
    reconciler: Reconciler
    heard: Heard

    @classmethod
    @asynccontextmanager
    async def open(cls, root: Path, names: Iterable[str]) -> AsyncIterator[World]:
        cores = {name: app_core(root / "cores", name, i) for i, name in enumerate(names)}
        origin, work = _repositories(root, cores.values())
        async with AsyncExitStack() as stack:
            for core in cores.values():
                await stack.enter_async_context(core.app.router.lifespan_context(core.app))
            by_url = {core.url: core.transport for core in cores.values()}
            pool = await stack.enter_async_context(
                CorePool(_environ(cores.values()), FAST, utc_now, _transports(by_url))
            )
            state = root / "state"
            ledger = await SqliteLedger.open(state)
            stack.push_async_callback(ledger.close)
            heard = Heard()
            config = Config(
                source=str(origin), state_dir=state, client=FAST, environ=_environ(cores.values())
            )
            source = GitSource(str(origin), state / "source.git")
            reconciler = Reconciler(
                config, source, ledger, pool, utc_now, listener=Listeners(heard)
            )
            yield cls(root, cores, origin, work, state, reconciler, heard)

    # --- the person's side ---------------------------------------------------------------------

    def edit(self, path: str, text: str) -> None:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def assign(self, pipeline: str, cores: list[str]) -> None:
        names = ", ".join(cores)
        self.edit(
            f"assignments/{pipeline}.yaml",
            f"apiVersion: reconciler/v1\nkind: Assignment\npipeline: {pipeline}\n"
            f"cores: [{names}]\n",
        )

    def deploy_marker(self, marker_id: str, extra: str = "") -> None:
        self.edit(
            f"deploy/{marker_id}.yaml",
            f"apiVersion: reconciler/v1\nkind: DeployAll\nreason: test\n{extra}",
        )

    def action_marker(self, marker_id: str, verb: str, pipeline: str) -> None:
        self.edit(
            f"actions/{marker_id}.yaml",
            f"apiVersion: reconciler/v1\nkind: CoreAction\naction: {verb}\npipeline: {pipeline}\n",
        )

    def push(self, message: str) -> str:
        """Commit everything in the clone and push it (on top of the reports); the commit."""
        commit_all(self.work, message)
        git(self.work, "pull", "-q", "--rebase")
        git(self.work, "push", "-q", "origin", "HEAD:main")
        return git(self.work, "rev-parse", "HEAD")

    # --- what the origin and the Cores say -------------------------------------------------------

    def origin_file(self, path: str) -> str:
        return git(self.origin, "show", f"main:{path}")

    async def held(self, core: str, kind: str) -> dict[str, dict[str, Any]]:
        return await self.cores[core].held(kind)


def _repositories(root: Path, cores: Iterable[AppCore]) -> tuple[Path, Path]:
    seed = root / "seed"
    shutil.copytree(TEMPLATE, seed)
    (seed / "cores").mkdir()
    for core in cores:
        (seed / "cores" / f"{core.name}.yaml").write_text(core.yaml())
    init_repo(seed)
    origin, work = root / "origin.git", root / "work"
    git(root, "clone", "-q", "--bare", str(seed), str(origin))
    git(root, "clone", "-q", str(origin), str(work))
    return origin, work


def _environ(cores: Iterable[AppCore]) -> dict[str, str]:
    return {core.variable: core.token for core in cores}


def _transports(by_url: dict[str, Cutting]) -> Any:
    def transport(core: Core) -> httpx.AsyncBaseTransport | None:
        return by_url.get(core.url)

    return transport
