"""Trusted publishing routes, compatible with PyPI's (what ``id`` and the pypi-publish
action call): ``GET /_/oidc/audience`` and ``POST /_/oidc/mint-token``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .trust import refused
from .web import call, read_json, registry_of


async def audience(request: Request) -> Response:
    return JSONResponse({"audience": registry_of(request).settings.audience})


async def mint_token(request: Request) -> Response:
    document = await read_json(request)
    token = document.get("token") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token:
        raise refused("invalid-payload", 'send {"token": "<OIDC JWT>"}')
    minted = await call(registry_of(request).mint, token)
    return JSONResponse({"success": True, "token": minted.token, "expires": minted.expires})


routes = [
    Route("/_/oidc/audience", audience, methods=["GET"]),
    Route("/_/oidc/mint-token", mint_token, methods=["POST"]),
]
