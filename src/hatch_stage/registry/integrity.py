"""The Integrity API (PEP 740, as the public index serves it): a file's provenance object.

- ``GET /integrity/<project>/<version>/<filename>/provenance``: a published file's
- ``GET /stage/<session-token>/integrity/<project>/<version>/<filename>/provenance``: the same
  on a stage preview, for its staged files and the published ones it shows

The answer is the PEP 740 provenance object (``application/vnd.pypi.integrity.v1+json``):
one attestation bundle whose ``publisher`` is the trusted publisher the registry verified
the attestations against when they arrived (with the ref and commit in ``claims``), never
a publisher the uploader claimed. A file without attestations, or one this index does not
have, answers 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..provenance import INTEGRITY_TYPE
from .views import Provenance
from .web import call, registry_of

_PATH = "/integrity/{project}/{version}/{filename}/provenance"


async def _answer(request: Request, token: str | None) -> Response:
    params = request.path_params
    found: Provenance = await call(registry_of(request).provenance, params["project"],
                                   params["version"], params["filename"], token)
    return JSONResponse(found.object(), media_type=INTEGRITY_TYPE)


async def live(request: Request) -> Response:
    return await _answer(request, None)


async def staged(request: Request) -> Response:
    return await _answer(request, request.path_params["token"])


routes = [
    Route(_PATH, live, methods=["GET", "HEAD"]),
    Route("/stage/{token}" + _PATH, staged, methods=["GET", "HEAD"]),
]
