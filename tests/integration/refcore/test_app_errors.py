"""A bug in a handler still answers the protocol's JSON 500, without its details.

This drives the real application in-process (httpx's ASGI transport) because a bug cannot be
provoked from outside a healthy Core: the engine is the real one with one method broken.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from reconciler.refcore.app import build_app
from reconciler.refcore.auth import Lockout, TokenFile
from reconciler.refcore.engine import Engine
from reconciler.refcore.registry import Registry
from reconciler.refcore.runtime import Runtime
from tests.support.protocol import assert_error


class BrokenEngine(Engine):
    def status(self) -> dict[str, Any]:
        raise RuntimeError("secret internals")


def test_handler_bug_is_json_500(tmp_path: Path) -> None:
    """An unexpected exception answers 500 internal as JSON, never a traceback or HTML."""
    (tmp_path / "token").write_text("t0ken")
    engine = BrokenEngine("bug", "refcore-test", Registry(tmp_path), Runtime(8, 0.1))
    app = build_app(engine, TokenFile(tmp_path / "token"), None, Lockout(5, 60))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def get(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://core") as client:
            return await client.get(path, headers={"Authorization": "Bearer t0ken"})

    body = assert_error(asyncio.run(get("/api/v1/status")), 500, "internal")
    assert "secret internals" not in body["message"]
    assert asyncio.run(get("/api/v1/health")).status_code == 200
