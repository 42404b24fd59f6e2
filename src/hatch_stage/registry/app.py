"""The ASGI application: the routes of every API over one :class:`Registry`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from . import integrity, legacy, oidc, openapi, pep694, reviewpages, simple
from .documents import ROOT
from .origin import BrowserGuard
from .problems import Problem
from .service import Registry
from .web import call, problem_response, registry_of, urls_of
from .worker import MAINTENANCE_INTERVAL, SWEEP_INTERVAL, Worker


async def home(request: Request) -> Response:
    """Where everything is, for people and for clients that look."""
    urls = urls_of(request)
    return JSONResponse({
        "service": "hatch-stage registry",
        "version": __version__,
        "upload": urls.root,
        "sessions": f"{urls.base}{ROOT}/sessions",
        "simple": f"{urls.base}/simple/",
        "legacy": f"{urls.base}/legacy/",
        "legacy-staged": f"{urls.base}/legacy/staged/",
        "oidc-audience": f"{urls.base}/_/oidc/audience",
        "openapi": f"{urls.base}/_/openapi.json",
        "review": f"{urls.base}{reviewpages.PREFIX}/",
    })


async def health(request: Request) -> Response:
    """For a load balancer: 200 when the database and the blob store answer, else 503 naming
    which does not (never a credential)."""
    checks = await call(registry_of(request).health)
    healthy = all(check["ok"] for check in checks.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", **checks},
                        status_code=200 if healthy else 503,
                        headers={"Cache-Control": "no-store"})


async def api_description(request: Request) -> Response:
    """The OpenAPI document of every route (see :mod:`.openapi`)."""
    return JSONResponse(openapi.document())


async def _on_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    if request.url.path.startswith(reviewpages.PREFIX + "/"):
        return reviewpages.problem_page(error)
    return problem_response(request, error)


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    problem = Problem(str(error.detail))
    problem.status, problem.title, problem.code = error.status_code, str(error.detail), "http"
    return problem_response(request, problem)


def create_app(registry: Registry, *, base_url: str | None = None,
               local_token: str | None = None,
               maintenance_interval: float = MAINTENANCE_INTERVAL,
               sweep_interval: float = SWEEP_INTERVAL) -> Starlette:
    """The registry's ASGI app; ``base_url`` fixes the links' origin (behind a proxy).

    ``local_token`` is for the embedded registry a command starts in-process for its own
    use: that token acts as :meth:`Principal.local` (every project, no OTP), because whoever
    holds it can read the registry's files anyway.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # deliveries, the sweep and housekeeping run beside the requests, never in them
        worker = Worker(registry, sweep_interval=sweep_interval,
                        maintenance_interval=maintenance_interval)
        worker.start()
        try:
            yield
        finally:
            await call(worker.stop)

    app = Starlette(
        routes=[Route("/", home), Route("/_/health", health),
                Route("/_/openapi.json", api_description), *pep694.routes, *simple.routes,
                *legacy.routes, *oidc.routes, *integrity.routes, *reviewpages.routes],
        exception_handlers={Problem: _on_problem, HTTPException: _on_http_error},
        middleware=[Middleware(BrowserGuard)],
        lifespan=lifespan,
    )
    app.state.registry = registry
    app.state.base_url = base_url.rstrip("/") if base_url else None
    app.state.local_token = local_token
    return app

