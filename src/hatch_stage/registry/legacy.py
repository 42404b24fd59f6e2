"""The legacy upload API (``/legacy/``): what twine, hatch and uv send.

``POST /legacy/`` stages when the form says ``staged=true`` (PEP 694 amendment, PR #5070) or
the project requires staging, and publishes directly otherwise (if the project allows it).
``POST /legacy/staged/`` always stages: twine cannot send extra form fields, so
``twine upload --repository-url <registry>/legacy/staged/`` is how it stages.
A staged upload answers with the session document (PEP 694 JSON); errors are a status line
and a line of text, which twine shows.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .documents import session_document
from .forms import StreamingForm
from .problems import BadRequest
from .service import Registry
from .views import Principal, SessionView
from .web import BodyReader, call, parse_json, principal_of, registry_of, upload_json, urls_of

#: legacy digest fields -> hash names the blob store checks
DIGESTS = {"sha256_digest": "sha256", "md5_digest": "md5", "blake2_256_digest": "blake2_256"}


def _field(form: StreamingForm, name: str) -> str:
    value = form.fields.get(name, [""])[0]
    if not value:
        raise BadRequest(f"the form field {name!r} is missing")
    return value


def _upload_arguments(form: StreamingForm, staged_url: bool) -> dict[str, Any]:
    action = form.fields.get(":action", ["file_upload"])[0]
    if action != "file_upload":
        raise BadRequest(f"unsupported :action {action!r}")
    attestations = form.fields.get("attestations", [""])[0]
    staged = form.fields.get("staged", [""])[0].strip().lower() in ("true", "1", "yes", "on")
    return {
        "name": _field(form, "name"),
        "version": _field(form, "version"),
        "filename": form.filename,
        "stream": form,
        "hashes": {algorithm: form.fields[field][0].strip().lower()
                   for field, algorithm in DIGESTS.items() if form.fields.get(field, [""])[0]},
        "staged": staged or staged_url,
        "attestations": parse_json(attestations, "the attestations field")
        if attestations else None,
    }


def _receive(registry: Registry, principal: Principal, form: StreamingForm,
             staged_url: bool) -> tuple[str, SessionView | None]:
    """In a worker thread: the fields, then (once the registry has checked the token's scope
    and the project's policy) the file, straight into the blob store."""
    form.read_fields()
    outcome, view = registry.legacy_upload(principal, **_upload_arguments(form, staged_url))
    form.finish()
    return outcome, view


async def _upload(request: Request, staged_url: bool) -> Response:
    # authenticate before reading a byte of the body
    principal = await principal_of(request)
    form = StreamingForm(BodyReader(request), request.headers.get("content-type", ""))
    outcome, view = await call(_receive, registry_of(request), principal, form, staged_url)
    if view is None:
        return PlainTextResponse(f"{outcome}: the identical file is already published\n")
    return upload_json(session_document(view, urls_of(request)))


async def upload(request: Request) -> Response:
    return await _upload(request, staged_url=False)


async def upload_staged(request: Request) -> Response:
    return await _upload(request, staged_url=True)


routes = [
    Route("/legacy/", upload, methods=["POST"]),
    Route("/legacy/staged/", upload_staged, methods=["POST"]),
]
