"""The reference Core's protocol errors: one exception carrying an HTTP status and a stable code.

Every 4xx/5xx the Core answers is `{"code": "<snake_case>", "message": "<one sentence>"}`. Handlers
raise `ApiError`; the app turns it into that JSON body. Messages are lowercase, name the component
or field they are about, and never carry a token.

Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class ErrorCode(StrEnum):
    """The `code` values a client can branch on."""

    UNAUTHORIZED = "unauthorized"
    LOCKED_OUT = "locked_out"
    INVALID_JSON = "invalid_json"
    BODY_TOO_LARGE = "body_too_large"
    INVALID_BODY = "invalid_body"
    INVALID_PDL = "invalid_pdl"
    IMMUTABLE_FIELD = "immutable_field"
    UNKNOWN_REFERENCE = "unknown_reference"
    DEPLOY_REFUSED = "deploy_refused"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    ALREADY_EXISTS = "already_exists"
    IN_USE = "in_use"
    RUNNING = "running"
    DISABLED = "disabled"
    INTERNAL = "internal"


class ApiError(Exception):
    """A request the Core refuses, with the status, code and sentence to answer it with."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}


def invalid_body(message: str) -> ApiError:
    return ApiError(422, ErrorCode.INVALID_BODY, message)


def not_found(what: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, f"{what} does not exist")
