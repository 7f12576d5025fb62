"""HTTP errors of the model server: serving's error classes and the one error -> status table.

Every error response has the same body::

    {"error": {"type": "InvalidInput", "message": "...", "hint": "...", "details": [...]},
     "request_id": "..."}

``details`` lists one entry per offending field (``{"field": "tenure", "message": ...}``) for
request-validation errors. Statuses come from ``STATUS`` alone, looked up along the exception's
class hierarchy, so a new domain error needs one line here and nowhere else.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from modelyard.errors import (
    Conflict,
    DataError,
    IntegrityError,
    ModelyardError,
    NotFound,
    RegistryError,
    SchemaMismatch,
    ServingError,
)

log = logging.getLogger("modelyard.serving")

CLIENT_CLOSED_REQUEST = 499  # the status proxies log for a client that left before the answer


class BadRequest(ServingError):
    """The request body is not JSON, or not the shape the endpoint reads."""


class InvalidInput(ServingError):
    """The request is JSON but some fields are missing, unknown or of the wrong type."""

    def __init__(
        self, message: str, *, hint: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.details = details or []


class Unauthorized(ServingError):
    """No API key was sent where one is required, or the key is wrong or revoked.

    ``challenge`` is the response's WWW-Authenticate header: 'Bearer' for API clients, a Basic
    realm where a browser should ask for the key (the API docs).
    """

    def __init__(self, message: str, *, hint: str | None = None, challenge: str = "Bearer") -> None:
        super().__init__(message, hint=hint)
        self.challenge = challenge


class Forbidden(ServingError):
    """The API key is valid but may not use this model."""


class PayloadTooLarge(ServingError):
    """The request body is larger than the server accepts."""


class UnknownModel(ServingError):
    """The reference names a model, alias or version that this server does not serve."""


class NotReady(ServingError):
    """The server is still loading its models, or a model cannot be loaded right now."""


# The one table: domain error -> HTTP status. The most specific class in an exception's MRO wins.
STATUS: dict[type[BaseException], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    UnknownModel: 404,
    NotFound: 404,
    PayloadTooLarge: 413,
    InvalidInput: 422,
    SchemaMismatch: 422,
    DataError: 422,
    NotReady: 503,
    Conflict: 409,
    IntegrityError: 500,  # a corrupt artifact is the server's fault, not the client's
    RegistryError: 503,  # the store is unreachable or refused: try again later
    ServingError: 400,
    ModelyardError: 500,
}


def status_for(err: BaseException) -> int:
    """The HTTP status for ``err`` from ``STATUS`` (500 for anything unexpected)."""
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(
    kind: str,
    message: str,
    *,
    hint: str | None = None,
    details: list[dict[str, Any]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The JSON body every error response carries."""
    error: dict[str, Any] = {"type": kind, "message": message}
    if hint:
        error["hint"] = hint
    if details:
        error["details"] = details
    return {"error": error, "request_id": request_id}


def error_response(err: BaseException, request_id: str | None) -> JSONResponse:
    """The JSON response for an exception, with its status from the table."""
    status = status_for(err)
    headers = {"WWW-Authenticate": getattr(err, "challenge", "Bearer")} if status == 401 else None
    if isinstance(err, ModelyardError) and status < 500:
        body = error_body(
            type(err).__name__,
            err.message,
            hint=err.hint,
            details=getattr(err, "details", None),
            request_id=request_id,
        )
    elif isinstance(err, ModelyardError):
        body = error_body(type(err).__name__, err.message, hint=err.hint, request_id=request_id)
    else:  # never leak internals: the log has the traceback, the client the request id
        body = error_body(
            "InternalError",
            "the server failed to answer this request",
            hint=f"report request id {request_id} to the server's operator",
            request_id=request_id,
        )
    return JSONResponse(body, status_code=status, headers=headers)


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install_handlers(app: FastAPI) -> None:
    """Route every exception through the table; FastAPI's own 422s and 404s get the same body."""

    @app.exception_handler(ModelyardError)
    async def _domain(request: Request, err: ModelyardError) -> JSONResponse:
        if status_for(err) >= 500:
            log.error("request %s failed: %s", request_id_of(request), err, exc_info=err)
        return error_response(err, request_id_of(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, err: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in err.errors()
        ]
        listed = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        invalid = InvalidInput(
            "the request is invalid: " + listed,
            hint="see GET /docs for what each endpoint expects",
            details=details,
        )
        return error_response(invalid, request_id_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        body = error_body(
            "HTTPError",
            str(err.detail),
            hint="see GET /docs for the endpoints" if err.status_code in (404, 405) else None,
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, err: ClientDisconnect) -> Response:
        # not a server fault: one line, no traceback; nobody is left to read the answer
        log.info("request %s: the client closed the connection before it was answered (%s %s)",
                 request_id_of(request), request.method, request.url.path)  # fmt: skip
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        log.error("request %s failed unexpectedly", request_id_of(request), exc_info=err)
        return error_response(err, request_id_of(request))
