"""The simple repository API (PEP 503 HTML, PEP 691 JSON) for the live index and for stage
previews, and the file downloads behind them.

- ``/simple/`` and ``/simple/<project>/``: published files only; ``/files/<filename>``
- ``/stage/<session-token>/`` and ``/stage/<session-token>/<project>/``: the live index with
  the session's completed files added; ``/stage/<session-token>/files/<filename>``

Links are relative, so the index works behind a proxy that mounts it under a prefix. A file
with verified attestations carries its provenance URL (PEP 740: ``provenance`` in JSON,
``data-provenance`` in HTML, API version 1.3), fully qualified as the PEP asks, pointing at
the Integrity API of the same index (:mod:`.integrity`).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from .documents import rfc3339
from .problems import NotFound, Problem
from .projects import is_project_name
from .views import SessionView
from .web import call, registry_of, urls_of

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
#: API version the pages declare (1.1: sizes, upload times, versions; 1.3: provenance)
API_VERSION = "1.3"
FILE_TYPE = "application/octet-stream"
#: bytes sent per step of a download
DOWNLOAD_CHUNK = 256 * 1024


class NotAcceptable(Problem):
    status = 406
    title = "Not Acceptable"
    code = "not_acceptable"


@dataclass(frozen=True)
class Link:
    """One file on a project page."""

    filename: str
    url: str
    sha256: str
    size: int
    uploaded_at: int
    #: the Integrity API URL of its provenance, when it has verified attestations
    provenance: str | None = None

    @property
    def version(self) -> str:
        if self.filename.endswith(".whl"):
            return str(parse_wheel_filename(self.filename)[1])
        return str(parse_sdist_filename(self.filename)[1])


#: media types a client may ask for -> the type served
_SERVED = {JSON_TYPE: JSON_TYPE, HTML_TYPE: HTML_TYPE, "text/html": "text/html",
           "*/*": "text/html", "application/*": JSON_TYPE}


def negotiate(request: Request) -> str:
    """The response type from ``?format=`` or the Accept header (PEP 691); on equal
    weights the client's order decides."""
    wanted = request.query_params.get("format") or request.headers.get("accept") or "text/html"
    best, best_q = None, 0.0
    for item in wanted.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        choice = _SERVED.get(media.lower())
        if choice is not None and q > best_q:
            best, best_q = choice, q
    if best is None:
        raise NotAcceptable(f"this index serves {JSON_TYPE}, {HTML_TYPE} or text/html")
    return best


def _page(request: Request, title: str, anchors: Sequence[tuple[str, str, str | None]],
          document: dict[str, object]) -> Response:
    kind = negotiate(request)
    headers = {"Vary": "Accept"}
    if kind == JSON_TYPE:
        return JSONResponse({"meta": {"api-version": API_VERSION}, **document},
                            headers=headers, media_type=JSON_TYPE)
    links = "\n".join(f'    <a href="{html.escape(href)}"{_provenance_attribute(provenance)}>'
                      f'{html.escape(text)}</a><br/>' for href, text, provenance in anchors)
    body = (f'<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" '
            f'content="{API_VERSION}">\n    <title>{html.escape(title)}</title>\n  </head>\n'
            f"  <body>\n    <h1>{html.escape(title)}</h1>\n{links}\n  </body>\n</html>\n")
    return HTMLResponse(body, headers=headers, media_type=kind)


def _provenance_attribute(url: str | None) -> str:
    return f' data-provenance="{html.escape(url)}"' if url else ""


def _root_page(request: Request, names: list[str]) -> Response:
    anchors = [(f"{canonicalize_name(name)}/", name, None) for name in names]
    return _page(request, "Simple index", anchors, {
        "projects": [{"name": name} for name in names]})


def _project_page(request: Request, name: str, links: list[Link]) -> Response:
    links = sorted(links, key=lambda link: link.filename)
    anchors = [(f"{link.url}#sha256={link.sha256}", link.filename, link.provenance)
               for link in links]
    return _page(request, f"Links for {name}", anchors, {
        "name": str(canonicalize_name(name)),
        "versions": sorted({link.version for link in links}),
        "files": [{"filename": link.filename, "url": link.url,
                   "hashes": {"sha256": link.sha256}, "size": link.size,
                   "upload-time": rfc3339(link.uploaded_at), "yanked": False,
                   "provenance": link.provenance}
                  for link in links],
    })


def _published_links(request: Request, project: str, prefix: str,
                     stage_token: str | None = None) -> list[Link]:
    urls = urls_of(request)
    return [Link(file.filename, f"{prefix}files/{file.filename}", file.sha256, file.size,
                 file.published_at,
                 urls.provenance(file.project, file.version, file.filename, stage_token)
                 if file.provenance else None)
            for file in registry_of(request).released_files(project)]


def _normalized(request: Request, project: str) -> Response | None:
    """PEP 503: a non-normalized project URL redirects to the normalized one (a name that is
    no project name is not found: nothing to redirect to)."""
    if not is_project_name(project):
        raise NotFound(f"{project!r} is not a project name")
    normal = canonicalize_name(project)
    if project == normal:
        return None
    return RedirectResponse(str(request.url).replace(f"/{project}/", f"/{normal}/"), 301)


async def live_root(request: Request) -> Response:
    return _root_page(request, await call(registry_of(request).published_projects))


async def live_project(request: Request) -> Response:
    project = request.path_params["project"]
    if (redirect := _normalized(request, project)) is not None:
        return redirect
    name = await call(registry_of(request).display_name, project)
    if name is None:
        raise NotFound(f"no project {project} on this index")
    return _project_page(request, name, await call(_published_links, request, project, "../../"))


async def _send(request: Request, sha256: str, filename: str, size: int) -> Response:
    """A stored file: streamed from the blob store, or a redirect to a short-lived URL of
    the store itself (``serve --redirect-downloads``; pip follows it)."""
    registry = registry_of(request)
    lifetime = registry.settings.redirect_downloads
    if lifetime and (url := await call(registry.blobs.download_url, sha256, filename,
                                       lifetime)):
        return RedirectResponse(url, 307, headers={"Cache-Control": "private, no-store"})
    try:
        stream = await call(registry.blobs.open, sha256)
    except FileNotFoundError:
        raise NotFound(f"{filename} is missing from the blob store") from None
    headers = {"Content-Length": str(size),
               "Content-Disposition": f'attachment; filename="{filename}"'}
    if request.method == "HEAD":
        stream.close()
        return Response(headers=headers, media_type=FILE_TYPE)
    return StreamingResponse(_chunks(stream), headers=headers, media_type=FILE_TYPE)


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    # a plain iterator: Starlette reads it in a worker thread, one chunk at a time
    with stream:
        while chunk := stream.read(DOWNLOAD_CHUNK):
            yield chunk


async def live_file(request: Request) -> Response:
    released = await call(registry_of(request).released_file, request.path_params["filename"])
    return await _send(request, released.sha256, released.filename, released.size)


async def _stage(request: Request) -> SessionView:
    view: SessionView = await call(registry_of(request).stage_session,
                                   request.path_params["token"])
    return view


async def stage_root(request: Request) -> Response:
    session = await _stage(request)
    return _root_page(request, await call(registry_of(request).published_projects, session))


async def stage_project(request: Request) -> Response:
    project = request.path_params["project"]
    if (redirect := _normalized(request, project)) is not None:
        return redirect
    session = await _stage(request)
    links = await call(_published_links, request, project, "../../../", session.token)
    if canonicalize_name(project) == session.project:
        urls = urls_of(request)
        staged = [Link(file.filename, f"../files/{file.filename}", file.sha256, file.size,
                       session.updated_at,
                       urls.provenance(session.project, session.version, file.filename,
                                       session.token) if file.provenance else None)
                  for file in session.files if file.status == "completed"]
        names = {link.filename for link in staged}
        links = [link for link in links if link.filename not in names] + staged
        return _project_page(request, session.name, links)
    if not links:
        raise NotFound(f"no project {project} on this stage")
    return _project_page(request, project, links)


async def stage_file(request: Request) -> Response:
    session = await _stage(request)
    filename = request.path_params["filename"]
    for file in session.files:
        if file.filename == filename and file.status == "completed":
            return await _send(request, file.sha256, filename, file.size)
    raise NotFound(f"{filename} is not a completed file of this stage")


routes = [
    Route("/simple/", live_root, methods=["GET", "HEAD"]),
    Route("/simple/{project}/", live_project, methods=["GET", "HEAD"]),
    Route("/files/{filename}", live_file, methods=["GET", "HEAD"]),
    Route("/stage/{token}/", stage_root, methods=["GET", "HEAD"]),
    Route("/stage/{token}/files/{filename}", stage_file, methods=["GET", "HEAD"]),
    Route("/stage/{token}/{project}/", stage_project, methods=["GET", "HEAD"]),
]
