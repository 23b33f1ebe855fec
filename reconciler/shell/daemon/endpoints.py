"""The daemon's HTTP endpoints (SPEC §7), served by uvicorn in the daemon's own event loop.

    GET  /healthz      200 while the process and its event loop are alive
    GET  /readyz       200 once a pass completed and the Git source answers; else 503 and why;
                       `details` (the Git host's queue) either way
    GET  /metrics      Prometheus text format (see `metrics`)
    GET  /api/status   the `pipelines.json` document of the last pass or refresh; 503 before one
    POST /webhook      a signed "fetch now" (see `webhook`)

and whatever `routes` the daemon adds (the live pages: `pages.routes`).

They read what the daemon exposes through `Service`, and never touch the ledger, the Git source
or a Core themselves, so a slow Core or a long Deploy All never slows an answer down.

I/O module (HTTP).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler import __version__
from reconciler.shell.daemon import webhook
from reconciler.shell.daemon.metrics import CONTENT_TYPE


class Service(Protocol):
    """What the endpoints need from the daemon."""

    @property
    def webhook_secret(self) -> str | None: ...

    def unready(self) -> str | None:
        """Why the daemon is not ready, or None when it is."""

    def document(self) -> dict[str, Any] | None:
        """The latest `pipelines.json` document, or None before the first pass."""

    def exposition(self) -> bytes: ...

    def replica(self) -> dict[str, Any] | None:
        """With replicas sharing a ledger: this one's `role` (active or standby), who is
        `active`, and the lease's `epoch`; None for a lone daemon."""

    def webhook_received(self, accepted: bool, pulls: bool = False) -> None:
        """Count a delivery; an accepted one asks for a fetch (and a look at pull requests)."""

    def details(self) -> dict[str, Any]:
        """More on the daemon's state for `/readyz` (the Git host's queue, when there is one)."""


def build_app(service: Service, routes: Sequence[BaseRoute] = ()) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_request: Request) -> JSONResponse:
        reason, replica, details = service.unready(), service.replica(), service.details()
        role = {"replica": replica} if replica is not None else {}
        if reason is None:
            return JSONResponse({"ready": True, **role, **details})
        return JSONResponse({"ready": False, "reason": reason, **role, **details}, 503)

    async def metrics(_request: Request) -> Response:
        return Response(service.exposition(), media_type=CONTENT_TYPE)

    async def status(_request: Request) -> JSONResponse:
        document = service.document()
        if document is None:
            return JSONResponse({"error": "no pass has completed yet"}, 503)
        replica = service.replica()
        return JSONResponse(document if replica is None else {**document, "replica": replica})

    async def hook(request: Request) -> JSONResponse:
        answer = await webhook.receive(
            request, service.webhook_secret, lambda pulls: service.webhook_received(True, pulls)
        )
        if answer.status_code != 202:
            service.webhook_received(False)
        return answer

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/api/status", status, methods=["GET"]),
            Route("/webhook", hook, methods=["POST"]),
            *routes,
        ]
    )
