"""Reading request bodies: size-bounded JSON, with the protocol's errors.

I/O module (the request stream).
"""

from __future__ import annotations

import json

from starlette.requests import Request

from reconciler.refcore.errors import ApiError, ErrorCode

MAX_BODY_BYTES = 1 << 20


async def read_json(request: Request) -> object:
    """The JSON value of the request body: 413 when too large, 400 `invalid_json` when malformed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    if not body.strip():
        raise ApiError(400, ErrorCode.INVALID_JSON, "the request body is empty; send a JSON object")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ApiError(
            400, ErrorCode.INVALID_JSON, f"the request body is not valid JSON: {error}"
        ) from error


def _too_large() -> ApiError:
    return ApiError(
        413, ErrorCode.BODY_TOO_LARGE, f"the request body is larger than {MAX_BODY_BYTES} bytes"
    )
