"""The OpenAPI document and the application agree on routes, methods and error codes."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Route

from reconciler.refcore.app import protocol_routes
from reconciler.refcore.engine import Engine
from reconciler.refcore.errors import ErrorCode
from reconciler.refcore.registry import Registry
from reconciler.refcore.runtime import Runtime
from tests.support.protocol import document

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def test_every_served_route_is_documented_and_nothing_more(tmp_path: Path) -> None:
    """Each (path, method) the Core serves is in the document, and the document lists no other."""
    engine = Engine("doc", "refcore-test", Registry(tmp_path), Runtime(8, 0.1))
    served = {
        (route.path, method.lower())
        for route in protocol_routes(engine)
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {
        (path, method)
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert served == documented


def test_every_error_code_is_documented() -> None:
    """The Error schema's code enum is exactly the codes the Core can answer."""
    documented = document()["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
    assert sorted(documented) == sorted(code.value for code in ErrorCode)
