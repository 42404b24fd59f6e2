"""What every route needs: the registry, its URLs, the caller, bounded JSON bodies, and
error documents in the shape each API family expects."""

from __future__ import annotations

import base64
import hmac
import json
from typing import TYPE_CHECKING, Any

import anyio.from_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .accounts import OTP_LOCKOUT
from .documents import UPLOAD_TYPE, Urls
from .problems import BadRequest, Problem, TooLarge, TooManyAttempts, Unauthorized
from .views import Principal

if TYPE_CHECKING:
    from .service import Registry

#: the largest JSON request body accepted
JSON_LIMIT = 1 << 20
#: the deepest nesting of arrays and objects a JSON document may have (the API's documents
#: need a handful of levels; a deeper one only serves to exhaust the parser's stack)
JSON_DEPTH = 32


def registry_of(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def urls_of(request: Request) -> Urls:
    """URLs for links: the configured ``--base-url``, else the one the client used."""
    return Urls(request.app.state.base_url or str(request.base_url))


def token_from(request: Request) -> str | None:
    """The API token of the request: ``Bearer <token>`` or Basic ``__token__:<token>``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            # a header is read as latin-1: anything outside base64's alphabet is malformed
            decoded = base64.b64decode(value.strip().encode("ascii"), validate=True)
            user, _, password = decoded.decode().partition(":")
        except ValueError:  # not ASCII, not base64 (binascii.Error), not UTF-8 inside
            raise Unauthorized("malformed Basic credentials") from None
        if user != "__token__":
            raise Unauthorized("use __token__ as the user name and an API token as the password")
        return password or None
    return None


async def principal_of(request: Request) -> Principal:
    """Who is calling; :class:`Unauthorized` (with the challenge) when nobody is."""
    token = token_from(request)
    if token is None:
        raise Unauthorized("this needs an API token: HTTP Basic __token__:<token>, or "
                           "Authorization: Bearer <token>")
    local = request.app.state.local_token
    if local and hmac.compare_digest(token.encode(), local.encode()):
        return Principal.local()
    return await run_in_threadpool(registry_of(request).accounts.authenticate, token)


async def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking) service call off the event loop."""
    return await run_in_threadpool(function, *args, **kwargs)


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The whole (small) request body; :class:`TooLarge` past ``limit`` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the {what} is too large")
    return bytes(body)


async def read_json(request: Request) -> Any:
    """The request body parsed as JSON, at most :data:`JSON_LIMIT` bytes."""
    body = await read_body(request, JSON_LIMIT, "JSON body")
    return parse_json(body or b"{}", "the body")


def parse_json(text: str | bytes, what: str) -> Any:
    """``text`` parsed as JSON no deeper than :data:`JSON_DEPTH`; :class:`BadRequest` naming
    ``what`` otherwise (the parser's own stack overflow included)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest(f"{what} is not valid JSON (or nested too deeply)") from None
    if _depth(document) > JSON_DEPTH:
        raise BadRequest(f"{what} is nested deeper than {JSON_DEPTH} levels")
    return document


def _depth(document: Any) -> int:
    deepest, level = 0, [(document, 1)]
    while level:
        value, depth = level.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= JSON_DEPTH:  # deeper is refused anyway: stop walking
                level.extend((item, depth + 1) for item in
                             (value.values() if isinstance(value, dict) else value))
    return deepest


async def json_body(request: Request) -> dict[str, Any]:
    """An Upload 2.0 request object, with the content type and ``meta.api-version``
    PEP 694 requires."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (UPLOAD_TYPE, "application/json"):
        raise BadRequest(f"send Content-Type: {UPLOAD_TYPE}")
    document = await read_json(request)
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object")
    meta = document.get("meta")
    version = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != "2":
        raise BadRequest('meta.api-version must be "2.0"',
                         errors=[{"source": "meta.api-version", "message": str(version)}])
    return document


def upload_json(document: Any, status: int = 200, headers: dict[str, str] | None = None,
                ) -> JSONResponse:
    return JSONResponse(document, status, headers=headers, media_type=UPLOAD_TYPE)


class BodyReader:
    """The request body as a blocking ``read()``, for service code running in a worker
    thread: each call fetches the next chunk from the event loop, so nothing piles up."""

    def __init__(self, request: Request) -> None:
        self._chunks = request.stream().__aiter__()
        self._done = False

    async def _next(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except ClientDisconnect:
            raise BadRequest("the client went away before the upload finished") from None

    def read(self, size: int = -1, /) -> bytes:
        if self._done:
            return b""
        try:
            chunk: bytes = anyio.from_thread.run(self._next)
        except StopAsyncIteration:
            chunk = b""
        if not chunk:
            self._done = True
        return chunk


def problem_response(request: Request, problem: Problem) -> Response:
    """The error document for ``problem``: plain text for the legacy API (twine shows it),
    PyPI's shape for the OIDC routes, RFC 9457 problem+json everywhere else."""
    headers: dict[str, str] = {}
    if isinstance(problem, Unauthorized):
        headers["WWW-Authenticate"] = problem.challenge
    if isinstance(problem, TooManyAttempts):
        headers["Retry-After"] = str(OTP_LOCKOUT)
    if problem.location:
        headers["Location"] = urls_of(request).session(problem.location)
    path = request.url.path
    if path.startswith("/legacy"):
        return PlainTextResponse(f"{problem.status} {problem}\n", problem.status, headers)
    if path.startswith("/_/oidc"):
        errors = problem.errors or [{"code": problem.code, "description": str(problem)}]
        return JSONResponse({"message": "Token request failed", "errors": errors},
                            problem.status, headers)
    return JSONResponse({
        "type": "about:blank",
        "status": problem.status,
        "title": problem.title,
        "detail": str(problem),
        "code": problem.code,
        "meta": {"api-version": "2.0"},
        "errors": problem.errors,
        **problem.extensions,
    }, problem.status, headers, media_type="application/problem+json")
