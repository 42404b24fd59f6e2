"""Upload 2.0 (PEP 694) routes: thin translations between HTTP and :class:`Registry`."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .accounts import OTP_HEADER
from .documents import ROOT, file_document, group_document, session_document
from .problems import BadRequest
from .views import Approval, FileView, SessionView
from .web import (
    BodyReader,
    call,
    json_body,
    principal_of,
    read_json,
    registry_of,
    upload_json,
    urls_of,
)


def _session(request: Request, view: SessionView, status: int = 200) -> Response:
    urls = urls_of(request)
    headers = {"Location": urls.session(view.id)} if status in (201, 202) else None
    return upload_json(session_document(view, urls), status, headers)


def _file(request: Request, view: FileView, status: int = 200) -> Response:
    urls = urls_of(request)
    headers = {"Retry-After": "1"}
    if status in (201, 202):
        headers["Location"] = urls.file(view.session_id, view.id)
    return upload_json(file_document(view, urls), status, headers)


def _count(query: Any, key: str, default: int) -> int:
    """A page number or size from the query: a few plain digits (a 30-digit number would
    overflow the database's integers)."""
    value = query.get(key)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise BadRequest(f"{key} must be a whole number from 0 to 999999",
                         errors=[{"source": key, "message": "not a number in range"}])
    return int(value)


def _text(document: dict[str, object], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{key} is required", errors=[{"source": key, "message": "required"}])
    return value


async def create(request: Request) -> Response:
    principal = await principal_of(request)
    document = await json_body(request)
    view = await call(registry_of(request).create_session, principal,
                      _text(document, "name"), _text(document, "version"))
    return _session(request, view, 201)


async def listing(request: Request) -> Response:
    """Index-specific: ``GET /upload/2.0/sessions?project=&status=&page=&per-page=``."""
    principal = await principal_of(request)
    query = request.query_params
    page, per_page = _count(query, "page", 0), _count(query, "per-page", 100)
    views, total = await call(registry_of(request).sessions, principal,
                              project=query.get("project") or None,
                              status=query.get("status") or None, page=page, per_page=per_page)
    urls = urls_of(request)
    return upload_json({"meta": {"api-version": "2.0"},
                        "sessions": [session_document(view, urls) for view in views],
                        "page": page, "per-page": max(1, min(per_page, 100)), "total": total})


async def session(request: Request) -> Response:
    principal = await principal_of(request)
    registry, session_id = registry_of(request), request.path_params["session"]
    if request.method == "DELETE":
        otp = request.headers.get(OTP_HEADER)
        return _session(request, await call(registry.cancel, principal, session_id, otp))
    return _session(request, await call(registry.session, principal, session_id))


def _digest(value: Any, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{source} must be the release digest as a string",
                         errors=[{"source": source, "message": "not a string"}])
    return value


def _allow_secrets(document: dict[str, Any]) -> bool:
    value = document.get("allow-secrets", False)
    if not isinstance(value, bool):
        raise BadRequest("allow-secrets must be true or false")
    return value


async def publish(request: Request) -> Response:
    """PEP 694 publish; the body may carry (index-specific) ``"release-digest"``, the digest
    of the files the approver reviewed, which this registry requires by default, and
    ``"allow-secrets": true`` to publish despite findings that block."""
    principal = await principal_of(request)
    document = await json_body(request)
    view = await call(registry_of(request).publish, principal, request.path_params["session"],
                      request.headers.get(OTP_HEADER),
                      _digest(document.get("release-digest"), "release-digest"),
                      allow_secrets=_allow_secrets(document))
    return _session(request, view, 201)


async def extend(request: Request) -> Response:
    principal = await principal_of(request)
    document = await json_body(request)
    view = await call(registry_of(request).extend, principal, request.path_params["session"],
                      document.get("extend-for"))
    return _session(request, view)


async def start_file(request: Request) -> Response:
    principal = await principal_of(request)
    document = await json_body(request)
    view = await call(registry_of(request).start_file, principal,
                      request.path_params["session"], _text(document, "filename"),
                      document.get("size"), document.get("hashes"),
                      _text(document, "mechanism"))
    return _file(request, view, 202)


async def file(request: Request) -> Response:
    principal = await principal_of(request)
    registry, ids = registry_of(request), (request.path_params["session"],
                                           request.path_params["file"])
    if request.method == "DELETE":
        await call(registry.delete_file, principal, *ids)
        return Response(status_code=204)
    return _file(request, await call(registry.file, principal, *ids))


async def upload_bytes(request: Request) -> Response:
    """The ``http-post-bytes`` mechanism: the raw file, streamed to disk."""
    principal = await principal_of(request)
    view = await call(registry_of(request).receive_file, principal,
                      request.path_params["session"], request.path_params["file"],
                      BodyReader(request))
    return _file(request, view)


async def attestations(request: Request) -> Response:
    principal = await principal_of(request)
    view = await call(registry_of(request).add_attestations, principal,
                      request.path_params["session"], request.path_params["file"],
                      await read_json(request))
    return _file(request, view)


async def complete(request: Request) -> Response:
    principal = await principal_of(request)
    await json_body(request)
    view = await call(registry_of(request).complete_file, principal,
                      request.path_params["session"], request.path_params["file"])
    return _file(request, view, 201)


async def extend_file(request: Request) -> Response:
    principal = await principal_of(request)
    document = await json_body(request)
    registry, session_id = registry_of(request), request.path_params["session"]
    await call(registry.extend, principal, session_id, document.get("extend-for"))
    return _file(request, await call(registry.file, principal, session_id,
                                     request.path_params["file"]))


def _approvals(sessions: Any) -> list[Approval]:
    """``sessions`` of a decisions request: ids, or ``{"id", "release-digest"}`` objects."""
    if not isinstance(sessions, list):
        raise BadRequest("sessions must be a list of session ids or "
                         '{"id": ..., "release-digest": ...} objects')
    approvals = []
    for index, entry in enumerate(sessions):
        if isinstance(entry, str):
            approvals.append(Approval(entry))
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str):
            approvals.append(Approval(entry["id"], _digest(entry.get("release-digest"),
                                                           f"sessions[{index}].release-digest")))
        else:
            raise BadRequest(f"sessions[{index}] must be a session id or an object with an id")
    return approvals


async def decisions(request: Request) -> Response:
    """Index-specific: ``POST /upload/2.0/decisions`` publishes or cancels several sessions
    under one one-time password, all or none: ``{"meta", "action": "publish"|"cancel",
    "sessions": [id | {"id", "release-digest"}], "allow-secrets"?}``. Answers ``{"meta",
    "sessions": [decided session documents, in the order decided], "failed": null,
    "failures": []}`` (the last two kept for clients of the earlier, partial answer); any
    refusal or failure is a problem document and leaves no session of the batch public."""
    principal = await principal_of(request)
    document = await json_body(request)
    decided = await call(registry_of(request).decide_many, principal,
                         _text(document, "action"), _approvals(document.get("sessions")),
                         request.headers.get(OTP_HEADER), allow_secrets=_allow_secrets(document))
    urls = urls_of(request)
    return upload_json({"meta": {"api-version": "2.0"},
                        "sessions": [session_document(view, urls) for view in decided],
                        "failed": None, "failures": []})


async def groups(request: Request) -> Response:
    """Index-specific: ``POST /upload/2.0/groups`` ``{"meta", "sessions": [ids in the order to
    decide them]}`` groups sessions (201, or 200 with the existing group when exactly these
    sessions already form one); ``GET /upload/2.0/groups?status=open&page=&per-page=`` lists
    groups, newest first, each with its sessions in brief."""
    principal = await principal_of(request)
    registry, urls = registry_of(request), urls_of(request)
    if request.method == "POST":
        document = await json_body(request)
        view, created = await call(registry.create_group, principal, document.get("sessions"))
        return upload_json(group_document(view, urls), 201 if created else 200,
                           {"Location": urls.group(view.id)})
    query = request.query_params
    page, per_page = _count(query, "page", 0), _count(query, "per-page", 100)
    views, total = await call(registry.groups, principal,
                              status=request.query_params.get("status") or None, page=page,
                              per_page=per_page)
    return upload_json({"meta": {"api-version": "2.0"},
                        "groups": [group_document(view, urls, full=False) for view in views],
                        "page": page, "per-page": max(1, min(per_page, 100)), "total": total})


async def group(request: Request) -> Response:
    """Index-specific: ``GET /upload/2.0/groups/<id>``, the group with whole session
    documents in order."""
    principal = await principal_of(request)
    view = await call(registry_of(request).group, principal, request.path_params["group"])
    return upload_json(group_document(view, urls_of(request)))


_SESSION = ROOT + "/sessions/{session}"
_FILE = _SESSION + "/files/{file}"

routes = [
    Route(ROOT + "/", create, methods=["POST"]),
    Route(ROOT + "/sessions", listing, methods=["GET"]),
    Route(ROOT + "/decisions", decisions, methods=["POST"]),
    Route(ROOT + "/groups", groups, methods=["GET", "POST"]),
    Route(ROOT + "/groups/{group}", group, methods=["GET"]),
    Route(_SESSION, session, methods=["GET", "DELETE"]),
    Route(_SESSION + "/publish", publish, methods=["POST"]),
    Route(_SESSION + "/extend", extend, methods=["POST"]),
    Route(_SESSION + "/files", start_file, methods=["POST"]),
    Route(_FILE, file, methods=["GET", "DELETE"]),
    Route(_FILE + "/bytes", upload_bytes, methods=["POST"]),
    Route(_FILE + "/attestations", attestations, methods=["POST"]),
    Route(_FILE + "/complete", complete, methods=["POST"]),
    Route(_FILE + "/extend", extend_file, methods=["POST"]),
]
