"""JSON routes take JSON only: ``require_json``, a dependency of the whole app.

A request that carries a body (POST, PUT, PATCH) must declare it ``Content-Type:
application/json`` (optionally ``; charset=utf-8``), or it gets 415 before any route reads it.
This is what keeps a web page from forging requests: a browser sends a cross-origin POST without
asking the server first only for the "simple" types (``text/plain``, form encodings); a JSON body,
like an ``Authorization`` header, makes it ask (a CORS preflight), and this server grants no
cross-origin access. So a page a user visits cannot make the browser post to a server on the
user's machine or network, whether or not it holds keys (a browser may have cached a key given to
the /docs login prompt).
"""

from __future__ import annotations

from fastapi import Request

from modelyard.serving.errors import UnsupportedMediaType

JSON_TYPE = "application/json"
UTF8 = ("utf-8", "utf8")  # JSON text is UTF-8 (RFC 8259); no other charset is read
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
HINT = (
    "send the body as JSON with the header 'Content-Type: application/json' "
    "(curl: --json '{...}' or -H 'Content-Type: application/json')"
)


async def require_json(request: Request) -> None:
    """415 for a request with a body that is not declared as JSON (UTF-8)."""
    if request.method not in BODY_METHODS:
        return
    declared = request.headers.getlist("content-type")
    if len(declared) != 1:
        raise UnsupportedMediaType(
            f"{request.method} {request.url.path} takes a JSON body, declared with one "
            f"Content-Type header; received {len(declared) or 'no'} Content-Type headers",
            hint=HINT,
        )
    media, _, params = declared[0].partition(";")
    if media.strip().lower() != JSON_TYPE:
        raise UnsupportedMediaType(
            f"{request.method} {request.url.path} takes a JSON body (Content-Type "
            f"{JSON_TYPE}); received Content-Type {_shown(media)}",
            hint=HINT,
        )
    charset = _charset(params)
    if charset is not None and charset not in UTF8:
        raise UnsupportedMediaType(
            f"a JSON body is UTF-8; received Content-Type {_shown(declared[0])}",
            hint="encode the body as UTF-8 and send 'Content-Type: application/json' "
            "(or '; charset=utf-8')",
        )


def _charset(params: str) -> str | None:
    """The charset parameter of a Content-Type header, lower-cased and unquoted (None if absent)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _shown(text: str) -> str:
    """A header value as a message may quote it: trimmed, and cut when it is long."""
    text = text.strip()
    return repr(text if len(text) <= 80 else text[:80] + "...")
