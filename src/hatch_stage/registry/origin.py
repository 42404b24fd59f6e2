"""Browsers: no cross-site request changes anything, and no answer is sniffed into another type.

A browser that once answered the registry's ``WWW-Authenticate: Basic`` challenge sends those
credentials with every request to it, including a form or ``fetch`` another site makes it
send: a multipart ``/legacy/staged/`` upload or a ``text/plain`` byte upload needs no CORS
preflight. So a state-changing request (POST, PUT, PATCH, DELETE) that names a foreign
``Origin`` (or that ``Sec-Fetch-Site`` marks cross-site) is refused with 403 before anything
reads it. Requests without an ``Origin`` pass: twine, pip, hatch, uv and hatch-stage send
none, and browsers always send one on such requests.

The registry's own origin is that of ``--base-url`` when it is set (the registry behind a
proxy), else the one the request was addressed to. :func:`foreign_origin` is the one rule;
:class:`BrowserGuard` applies it to every route, and a page with its own forms (the review
page) can call it too. Every answer also carries ``X-Content-Type-Options: nosniff``, so a
staged file or an error text is never run as a script or a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Forbidden
from .web import problem_response

#: methods that may change something; the others must not (and are not checked)
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL as browsers serialize an origin (lower case, no
    default port); None for what is not an http(s) URL (``null`` included)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + ("" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}")


def own_origin(request: Request) -> str | None:
    """The registry's origin: ``--base-url``'s, else the one the request was sent to."""
    return origin_of(request.app.state.base_url or str(request.base_url))


def from_own_origin(request: Request) -> bool:
    """Whether a form post comes from the registry's own pages: its ``Origin`` (else its
    ``Referer``) is the registry's origin, the ``--base-url`` one or the one it was called on.
    Stricter than :func:`foreign_origin`, for forms only a browser sends: a request naming
    neither is not known to come from here."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    own = {own_origin(request), origin_of(str(request.base_url))}
    return sent is not None and origin_of(sent) in own - {None}


def foreign_origin(request: Request) -> str | None:
    """Why a state-changing request comes from another site (what it names), or None when it
    is the registry's own or a client that is not a browser."""
    if request.method not in STATE_CHANGING:
        return None
    origin = request.headers.get("origin")
    if origin is None:
        site = request.headers.get("sec-fetch-site", "").lower()
        return f"a {site} request" if site in ("cross-site", "same-site") else None
    if origin_of(origin) is None or origin_of(origin) != own_origin(request):
        return f"Origin {origin}"
    return None


class BrowserGuard:
    """ASGI middleware: refuse cross-site state-changing requests (403) and send
    ``X-Content-Type-Options: nosniff`` with every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        request = Request(scope)
        foreign = foreign_origin(request)
        if foreign is not None:
            refusal = Forbidden(f"cross-site request refused: {foreign} is not this "
                                f"registry's ({own_origin(request)}); a browser page of "
                                "another site cannot change anything here")
            await problem_response(request, refusal)(scope, receive, send_nosniff)
            return
        await self.app(scope, receive, send_nosniff)
