"""The admin routes (`/admin/v1/...`), guarded by the admin token; for tests, never for clients.

    GET    /admin/v1/faults              the fault rules in force: {"rules": [...]}
    PUT    /admin/v1/faults              replace them with {"rules": [...]} (see faults.py)
    DELETE /admin/v1/faults              clear them
    PATCH  /admin/v1/{kind}/{id}         out-of-band edit: merge a partial body (JSON merge
                                         patch) into a stored component, as a person clicking
                                         in a console would; `metadata` is merged like any field

I/O module (HTTP handlers).
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reconciler.refcore.engine import Engine
from reconciler.refcore.errors import invalid_body
from reconciler.refcore.faults import Faults, parse_rule
from reconciler.refcore.requests import read_json
from reconciler.refcore.specs import Kind


def routes(engine: Engine, faults: Faults) -> list[Route]:
    edits = [
        Route(f"/admin/v1/{kind}/{{id}}", partial(edit, engine, kind), methods=["PATCH"])
        for kind in Kind
    ]
    fault_methods = ["GET", "PUT", "DELETE"]
    return [Route("/admin/v1/faults", partial(fault_rules, faults), methods=fault_methods), *edits]


async def fault_rules(faults: Faults, request: Request) -> JSONResponse:
    if request.method == "PUT":
        body = await read_json(request)
        rules = body.get("rules") if isinstance(body, dict) else None
        if not isinstance(rules, list):
            raise invalid_body('the body must be {"rules": [...]}')
        faults.replace([parse_rule(rule) for rule in rules])
    elif request.method == "DELETE":
        faults.replace([])
    return JSONResponse({"rules": faults.describe()})


async def edit(engine: Engine, kind: Kind, request: Request) -> JSONResponse:
    patch = await read_json(request)
    return JSONResponse(await engine.edit(kind, request.path_params["id"], patch))
