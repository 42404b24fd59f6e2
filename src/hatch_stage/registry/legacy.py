"""The legacy upload API (``/legacy/``): what twine, hatch and uv send.

``POST /legacy/`` stages when the form says ``staged=true`` (PEP 694 amendment, PR #5070) or
the project requires staging, and publishes directly otherwise (if the project allows it).
``POST /legacy/staged/`` always stages: twine cannot send extra form fields, so
``twine upload --repository-url <registry>/legacy/staged/`` is how it stages.
A staged upload answers with the session document (PEP 694 JSON); errors are a status line
and a line of text, which twine shows.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .documents import session_document
from .problems import BadRequest
from .web import call, principal_of, registry_of, upload_json, urls_of

#: legacy digest fields -> hash names the blob store checks
DIGESTS = {"sha256_digest": "sha256", "md5_digest": "md5", "blake2_256_digest": "blake2_256"}


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"the form field {name!r} is missing")
    return value


def _upload_arguments(form: FormData, staged_url: bool) -> dict[str, Any]:
    if form.get(":action", "file_upload") != "file_upload":
        raise BadRequest(f"unsupported :action {form.get(':action')!r}")
    content = form.get("content")
    if not isinstance(content, UploadFile) or not content.filename:
        raise BadRequest("the form has no file in 'content'")
    attestations = form.get("attestations")
    try:
        parsed = json.loads(attestations) if isinstance(attestations, str) and attestations \
            else None
    except ValueError:
        raise BadRequest("the attestations field is not valid JSON") from None
    staged = str(form.get("staged", "")).strip().lower() in ("true", "1", "yes", "on")
    return {
        "name": _field(form, "name"),
        "version": _field(form, "version"),
        "filename": content.filename,
        "stream": content.file,
        "hashes": {algorithm: str(form[field]).strip().lower()
                   for field, algorithm in DIGESTS.items() if form.get(field)},
        "staged": staged or staged_url,
        "attestations": parsed,
    }


async def _upload(request: Request, staged_url: bool) -> Response:
    # authenticate before accepting a possibly large body
    principal = await principal_of(request)
    try:
        form = await request.form(max_files=2, max_fields=500, max_part_size=8 << 20)
    except ClientDisconnect:
        raise BadRequest("the client went away before the upload finished") from None
    try:
        outcome, view = await call(registry_of(request).legacy_upload, principal,
                                   **_upload_arguments(form, staged_url))
    finally:
        await form.close()
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
