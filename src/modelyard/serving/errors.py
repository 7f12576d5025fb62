"""HTTP errors of the model server: serving's error classes and the one error -> status table.

Every error response has the same body::

    {"error": {"type": "InvalidInput", "message": "...", "hint": "...", "details": [...]},
     "request_id": "..."}

``details`` lists one entry per offending field (``{"field": "tenure", "message": ...}``) for
request-validation errors. Statuses come from ``STATUS`` alone, looked up along the exception's
class hierarchy, so a new domain error needs one line here and nowhere else.

Errors raised below the HTTP layer speak to an operator: they name the store URL, the artifact
folder, files on the server. ``Redactor`` is the one boundary step that makes them fit for a
client: every message, hint and detail leaves through it, with those places replaced by neutral
words ("[artifact store]", "[store URL]", "[server path]") and stack frames dropped. When it changed
anything, the server log keeps the full text with the request id, so an operator given the id
finds what the client could not be told.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
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
from modelyard.settings import Settings

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


class ModelUnavailable(ServingError):
    """One served model version cannot answer (its files are missing or corrupt, or do not load);
    the server's other models keep answering."""


class UnsupportedMediaType(ServingError):
    """The request body is not declared as JSON (Content-Type other than application/json)."""


# The one table: domain error -> HTTP status. The most specific class in an exception's MRO wins.
STATUS: dict[type[BaseException], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    UnknownModel: 404,
    NotFound: 404,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    SchemaMismatch: 422,
    DataError: 422,
    NotReady: 503,
    ModelUnavailable: 503,  # this model only: the others keep answering
    Conflict: 409,
    IntegrityError: 503,  # a corrupt artifact: unavailable until the operator restores it
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


def error_response(
    err: BaseException, request_id: str | None, redact: Redactor | None = None
) -> JSONResponse:
    """The JSON response for an exception, with its status from the table and every text passed
    through ``redact``. When that changed anything, or a model is unavailable, the log keeps the
    full text with the request id (one line: the cause was logged once, with its details)."""
    status = status_for(err)
    redact = redact or Redactor()
    headers = {"WWW-Authenticate": getattr(err, "challenge", "Bearer")} if status == 401 else None
    if isinstance(err, ModelyardError):
        details = [
            {k: redact(v) if isinstance(v, str) else v for k, v in d.items()}
            for d in getattr(err, "details", None) or []
        ]
        body = error_body(
            type(err).__name__,
            redact(err.message),
            hint=redact(err.hint) if err.hint else None,
            details=details,
            request_id=request_id,
        )
        redacted = body["error"]["message"] != err.message or body["error"].get("hint") != err.hint
        logged = status >= 500 and not isinstance(err, QUIET)  # with its traceback, by the handler
        if (redacted or isinstance(err, QUIET)) and not logged:
            log.info("request %s answered %d %s: %s", request_id, status, type(err).__name__, err)
    else:  # never leak internals: the log has the traceback, the client the request id
        body = error_body(
            "InternalError",
            "the server failed to answer this request",
            hint=f"report request id {request_id} to the server's operator",
            request_id=request_id,
        )
    return JSONResponse(body, status_code=status, headers=headers)


def _for_key(err: ModelyardError, request: Request) -> ModelyardError:
    """A not-found error as a key limited to some models may read it: its hint lists the models
    of the store (a did-you-mean over every name), so it becomes the models the key may use."""
    key = getattr(request.state, "api_key", None)
    models = getattr(key, "models", None)
    if not isinstance(err, NotFound) or not models:
        return err
    return type(err)(err.message, hint=f"this API key may use: {', '.join(models)}")


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install_handlers(app: FastAPI, redact: Redactor | None = None) -> None:
    """Route every exception through the table; FastAPI's own 422s and 404s get the same body.
    ``redact`` makes every text fit for a client (by default: the generic patterns only)."""
    redact = redact or Redactor()

    @app.exception_handler(ModelyardError)
    async def _domain(request: Request, err: ModelyardError) -> JSONResponse:
        if status_for(err) >= 500 and not isinstance(err, QUIET):
            log.error("request %s failed: %s", request_id_of(request), err, exc_info=err)
        return error_response(_for_key(err, request), request_id_of(request), redact)

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
        return error_response(invalid, request_id_of(request), redact)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        body = error_body(
            "HTTPError",
            redact(str(err.detail)),
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
        return error_response(err, request_id_of(request), redact)


# 503s the model pool has already logged (once, with the cause): no traceback per request
QUIET = (NotReady, ModelUnavailable)

# -- what a client may not see ------------------------------------------------------------------
# A URL of any scheme but http(s): store URLs (sqlite:///..., postgresql+psycopg://user@host/db).
_URL = re.compile(r"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://[^\s'\"<>,;()]*")
# A formatted stack frame, and the line that starts a traceback.
_FRAME = re.compile(r'File "[^"\n]*", line \d+(?:, in [^\s,]+)?')
_TRACEBACK = re.compile(r"Traceback \(most recent call last\):?")
# An absolute file path of two or more parts (/srv/models/x, C:\\models\\x); not a URL's path.
_PATH = re.compile(
    r"(?<![\w/.:~\]-])(?:/[^\s/'\"`,;()<>\[\]{}|]+){2,}/?|\b[A-Za-z]:\\[^\s'\"`,;()<>|]+"
)
_ROUTES = ("/v1/", "/docs/", "/redoc/")  # the server's own paths, which hints may name


class Redactor:
    """Makes a message fit for an HTTP client: the server's own places (given as ``places``:
    text -> the neutral word that replaces it), store URLs, absolute file paths and stack frames
    are replaced by neutral words. Calling it is cheap (a few string scans)."""

    def __init__(self, places: Iterable[tuple[str, str]] = ()) -> None:
        kept = {text: word for text, word in places if _worth_replacing(text)}
        self.places = sorted(kept.items(), key=lambda item: -len(item[0]))  # longest first

    @classmethod
    def for_settings(cls, settings: Settings) -> Redactor:
        """Replaces the folders of ``settings`` (home, artifacts, cache, runs) in every spelling a
        message may use (as given, absolute, resolved); store URLs go whatever they are."""
        folders = (  # most specific first: the cache lies in the artifact store, both in home
            (settings.artifact_root / "cache", "[artifact cache]"),
            (settings.artifact_root, "[artifact store]"),
            (settings.runs_root, "[run folders]"),
            (settings.home, "[server home]"),
        )
        return cls((text, word) for folder, word in folders for text in _spellings(folder))

    def __call__(self, text: str) -> str:
        text = _URL.sub(_url_word, text)  # first: a SQLite URL holds the home folder
        for place, word in self.places:
            text = text.replace(place, word)
        text = _TRACEBACK.sub("[stack trace]", text)
        text = _FRAME.sub("[stack frame]", text)
        return _PATH.sub(_path_word, text)


def _spellings(folder: Path) -> set[str]:
    forms = {str(folder), str(folder.expanduser())}
    for make in (Path.absolute, Path.resolve):
        try:
            forms.add(str(make(folder.expanduser())))
        except (OSError, RuntimeError):  # an unreadable folder or a symlink loop: skip the form
            pass
    return forms


def _worth_replacing(text: str) -> bool:
    """Absolute places and relative ones with a folder in them; never '.', 'runs' or ''."""
    return len(text) > 1 and ("/" in text.strip("/") or text.startswith("/") or "\\" in text)


def _url_word(match: re.Match[str]) -> str:
    return match[0] if match["scheme"].lower() in ("http", "https") else "[store URL]"


def _path_word(match: re.Match[str]) -> str:
    return match[0] if match[0].startswith(_ROUTES) else "[server path]"
