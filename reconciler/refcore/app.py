"""The Core's HTTP application: routes of the protocol, JSON errors, middleware, lifespan.

Every 4xx/5xx is `{"code", "message"}`: `ApiError`s as raised, unknown routes 404 `not_found`,
wrong methods 405 `method_not_allowed` (with `Allow`), and any unexpected exception 500
`internal` (logged with its traceback, never shown). Middleware, outermost first: authentication
and lockout (`auth.Guard`), then fault injection (`faults.FaultMiddleware`).

I/O module (HTTP).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.refcore import admin
from reconciler.refcore.auth import Guard, Lockout, TokenFile
from reconciler.refcore.engine import Engine
from reconciler.refcore.errors import ApiError, ErrorCode
from reconciler.refcore.faults import FaultMiddleware, Faults
from reconciler.refcore.requests import read_json
from reconciler.refcore.specs import Kind

log = logging.getLogger("reconciler.refcore.app")
API = "/api/v1"
VERBS = ("start", "stop", "restart")


def build_app(
    engine: Engine, api_token: TokenFile, admin_token: TokenFile | None, lockout: Lockout
) -> Starlette:
    faults = Faults()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await engine.open()
        yield
        await engine.close()

    return Starlette(
        routes=[*protocol_routes(engine), *admin.routes(engine, faults)],
        middleware=[
            Middleware(Guard, api_token=api_token, admin_token=admin_token, lockout=lockout),
            Middleware(FaultMiddleware, faults=faults),
        ],
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
        lifespan=lifespan,
    )


def protocol_routes(engine: Engine) -> list[Route]:
    routes = [
        Route(f"{API}/health", partial(health, engine), methods=["GET"]),
        Route(f"{API}/status", partial(status, engine), methods=["GET"]),
        Route(f"{API}/metrics", partial(metrics, engine), methods=["GET"]),
    ]
    for kind in Kind:
        routes.append(
            Route(f"{API}/{kind}", partial(collection, engine, kind), methods=["GET", "POST"])
        )
        item_methods = ["GET", "PUT", "DELETE"]
        routes.append(
            Route(f"{API}/{kind}/{{id}}", partial(item, engine, kind), methods=item_methods)
        )
        if kind.runs:
            routes.extend(
                Route(
                    f"{API}/{kind}/{{id}}/{verb}",
                    partial(action, engine, kind, verb),
                    methods=["POST"],
                )
                for verb in VERBS
            )
    return routes


async def health(engine: Engine, request: Request) -> JSONResponse:
    return JSONResponse(engine.health())


async def status(engine: Engine, request: Request) -> JSONResponse:
    return JSONResponse(engine.status())


async def metrics(engine: Engine, request: Request) -> JSONResponse:
    return JSONResponse(engine.metrics())


async def collection(engine: Engine, kind: Kind, request: Request) -> JSONResponse:
    if request.method == "GET":
        return JSONResponse(engine.bodies(kind))
    return JSONResponse(await engine.create(kind, await read_json(request)), 201)


async def item(engine: Engine, kind: Kind, request: Request) -> Response:
    name: str = request.path_params["id"]
    if request.method == "GET":
        return JSONResponse(engine.get(kind, name))
    if request.method == "DELETE":
        await engine.delete(kind, name)
        return Response(status_code=204)
    body, created = await engine.replace(kind, name, await read_json(request))
    return JSONResponse(body, 201 if created else 200)


async def action(engine: Engine, kind: Kind, verb: str, request: Request) -> JSONResponse:
    return JSONResponse(await engine.act(kind, request.path_params["id"], verb))


async def api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return JSONResponse(error.body(), error.status, error.headers)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    method, path = request.method, request.url.path
    if error.status_code == 404:
        code, message = ErrorCode.NOT_FOUND, f"no route {path}"
    elif error.status_code == 405:
        code, message = ErrorCode.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}"
    else:
        code, message = ErrorCode.INTERNAL, f"the request failed with status {error.status_code}"
    body = {"code": code.value, "message": message}
    return JSONResponse(body, error.status_code, dict(error.headers or {}))


async def internal_error(request: Request, error: Exception) -> Response:
    log.error("internal error on %s %s: %s", request.method, request.url.path, type(error).__name__)
    body = {"code": ErrorCode.INTERNAL.value, "message": "the core failed to handle the request"}
    return JSONResponse(body, 500)
