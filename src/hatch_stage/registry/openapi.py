"""The registry's HTTP API as an OpenAPI 3.0 document, served at ``GET /_/openapi.json``.

It describes every route of :mod:`.app` (a test keeps the two in step): PEP 694 Upload 2.0
with this registry's extensions (session listing, batch decisions, release digests), the
simple repository API of the live index and the stage previews, the legacy upload API and
PyPI's trusted-publishing exchange. The review page's browser routes (``/review/``, see
:mod:`.reviewpages`) are pages for people, not API, and stay out of it. Clients should still
follow the ``links`` of answers rather than build URLs; the document is for people, generated
clients and API fuzzers (the test suite runs schemathesis against it on both databases).
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..provenance import INTEGRITY_TYPE
from .documents import ROOT, UPLOAD_TYPE
from .forms import DESCRIPTION_LIMIT, FIELD_LIMIT
from .problems import (
    BadRequest,
    Conflict,
    DigestRequired,
    Forbidden,
    NotFound,
    Problem,
    TooLarge,
    TooManyAttempts,
    Unauthorized,
    Unprocessable,
    UpstreamFailed,
)

PROBLEM_TYPE = "application/problem+json"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
#: a project name (PEP 508)
NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"
#: a PEP 440 version in its normalized form (others are accepted and normalized)
VERSION_PATTERN = (r"^([0-9]+!)?[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?"
                   r"(\.dev[0-9]+)?(\+[a-z0-9]+(\.[a-z0-9]+)*)?$")
#: the characters of a distribution's file name
FILENAME_PATTERN = r"^[A-Za-z0-9._+!-]+$"
JSON = dict[str, Any]

_SESSION = f"{ROOT}/sessions/{{session}}"
_INTEGRITY = "/integrity/{project}/{version}/{filename}/provenance"
_FILE = f"{_SESSION}/files/{{file}}"


def _ref(kind: str, name: str) -> JSON:
    return {"$ref": f"#/components/{kind}/{name}"}


def _problem(problem: type[Problem], why: str, *, media: str = PROBLEM_TYPE) -> JSON:
    schema = _ref("schemas", "Problem") if media == PROBLEM_TYPE else (
        _ref("schemas", "MintRefusal") if media == "application/json" else {"type": "string"})
    return {"description": f"{problem.title} ({problem.code}): {why}",
            "content": {media: {"schema": schema}}}


def _upload_errors(*problems: tuple[type[Problem], str]) -> dict[str, JSON]:
    """The problem answers an Upload 2.0 operation may give (401 and 400 always)."""
    answers = {"400": _problem(BadRequest, "a malformed request, name, version, file name or "
                                           "hashes"),
               "401": _problem(Unauthorized, "no, unknown, revoked or expired token; or a "
                                             "one-time password is needed (otp_required)")}
    for problem, why in problems:
        answers[str(problem.status)] = _problem(problem, why)
    return answers


def _json_body(schema: str) -> JSON:
    reference = _ref("schemas", schema)
    return {"required": True, "content": {UPLOAD_TYPE: {"schema": reference},
                                          "application/json": {"schema": reference}}}


def _answer(description: str, schema: str, media: str = UPLOAD_TYPE) -> JSON:
    return {"description": description, "content": {media: {"schema": _ref("schemas", schema)}}}


def _linked(answer: JSON, parameters: dict[str, str], *targets: str) -> JSON:
    """``answer`` with OpenAPI links to the operations that take ids from it."""
    return {**answer, "links": {target: {"operationId": target, "parameters": parameters}
                                for target in targets}}


#: the operations a session document's ``id`` (and ``session-token``) lead to
_SESSION_TARGETS = ("getSession", "cancelSession", "publishSession", "extendSession",
                    "startFile")
#: and those a file upload document's ``id`` leads to
_FILE_TARGETS = ("getFile", "deleteFile", "uploadBytes", "addAttestations", "completeFile",
                 "extendFromFile")


def _session_answer(description: str, status: str) -> dict[str, JSON]:
    answer = _linked(_answer(description, "Session"), {"session": "$response.body#/id"},
                     *_SESSION_TARGETS)
    answer["links"]["stageIndex"] = {"operationId": "stageIndex",
                                     "parameters": {"token": "$response.body#/session-token"}}
    return {status: answer}


def _operation(operation_id: str, summary: str, responses: dict[str, JSON], *,
               parameters: tuple[str, ...] = (), body: JSON | None = None, secured: bool = True,
               description: str = "") -> JSON:
    operation: JSON = {"operationId": operation_id, "summary": summary, "responses": responses}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = [_ref("parameters", name) for name in parameters]
    if body is not None:
        operation["requestBody"] = body
    operation["security"] = [{"basic": []}, {"bearer": []}] if secured else []
    return operation


def _upload_paths() -> JSON:
    session, file = ("session",), ("session", "file")
    decided = (Forbidden, "the token may only stage, or the user has no TOTP")
    state = (Conflict, "the session or file is in a state that does not allow this (also "
                       "changed_since_review, files_not_ready, secrets_found)")
    missing = (NotFound, "no such session or file")
    return {
        f"{ROOT}/": {"post": _operation("createSession",
            "Open a publishing session for a release", {
                **_session_answer("the new session", "201"),
                **_upload_errors((Forbidden, "the token does not cover the project"),
                                 (Conflict, "a live session exists (Location names it)"),
                                 (TooLarge, "the JSON body is over 1 MiB"))},
            body=_json_body("SessionCreate"))},
        f"{ROOT}/sessions": {"get": _operation("listSessions",
            "List sessions the token covers, newest first (index-specific)", {
                "200": _answer("one page of sessions", "SessionList"),
                **_upload_errors()},
            parameters=("project", "status", "page", "perPage"))},
        f"{ROOT}/decisions": {"post": _operation("decideSessions",
            "Publish or cancel several sessions under one one-time password, all or none "
            "(index-specific)", {
                "200": _answer("the decided sessions, in the order decided", "Decisions"),
                **_upload_errors(decided, missing, state,
                                 (DigestRequired, "an approval names no release digest"),
                                 (TooManyAttempts, "too many wrong one-time passwords"),
                                 (UpstreamFailed, "a promotion upstream failed; every session "
                                                  "of the batch is in error, none published"))},
            parameters=("otp",), body=_json_body("DecisionRequest"))},
        f"{ROOT}/groups": {
            "get": _operation("listGroups",
                "List groups of sessions the token covers, newest first (index-specific)", {
                    "200": _answer("one page of groups, their sessions in brief", "GroupList"),
                    **_upload_errors()},
                parameters=("groupStatus", "page", "perPage")),
            "post": _operation("createGroup",
                "Group sessions in the order to decide them (index-specific)", {
                    "201": _linked(_answer("the new group", "Group"),
                                   {"group": "$response.body#/id"}, "getGroup"),
                    "200": _answer("the same sessions in the same order: the existing group",
                                   "Group"),
                    **_upload_errors(missing, (Forbidden, "the token does not cover them all"),
                                     (Conflict, "a session no longer awaits a decision"),
                                     (TooLarge, "the JSON body is over 1 MiB"))},
                body=_json_body("GroupCreate")),
        },
        f"{ROOT}/groups/{{group}}": {"get": _operation("getGroup",
            "A group with its sessions in order (index-specific)", {
                "200": _answer("the group, whole session documents", "Group"),
                **_upload_errors((NotFound, "no such group"),
                                 (Forbidden, "the token does not cover every session"))},
            parameters=("group",))},
        _SESSION: {
            "get": _operation("getSession", "A session's status, files, history and report", {
                "200": _answer("the session", "Session"),
                **_upload_errors(missing, (Forbidden, "the token does not cover it"))},
                parameters=session),
            "delete": _operation("cancelSession", "Cancel (reject): maintain token, fresh code", {
                "200": _answer("the canceled session", "Session"),
                **_upload_errors(decided, missing, state,
                                 (TooManyAttempts, "too many wrong one-time passwords"))},
                parameters=(*session, "otp")),
        },
        f"{_SESSION}/publish": {"post": _operation("publishSession",
            "Publish (approve) exactly the reviewed release: maintain token and a fresh code", {
                "201": _answer("the published session", "Session"),
                **_upload_errors(decided, missing, state,
                                 (DigestRequired, "no release-digest"),
                                 (TooManyAttempts, "too many wrong one-time passwords"),
                                 (UpstreamFailed, "promotion upstream failed; the session is "
                                                  "in error"))},
            parameters=(*session, "otp"), body=_json_body("Publish"))},
        f"{_SESSION}/extend": {"post": _operation("extendSession",
            "Move the session's expiry later", {
                "200": _answer("the session", "Session"),
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"))},
            parameters=session, body=_json_body("Extend"))},
        f"{_SESSION}/files": {"post": _operation("startFile",
            "Start a file upload (http-post-bytes)", {
                "202": _linked(_answer("the file upload session", "FileUpload"),
                               {"session": "$request.path.session",
                                "file": "$response.body#/id"}, *_FILE_TARGETS),
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"),
                                 (Unprocessable, "an unknown upload mechanism"),
                                 (TooLarge, "the JSON body is over 1 MiB"))},
            parameters=session, body=_json_body("FileStart"))},
        _FILE: {
            "get": _operation("getFile", "A file upload's status", {
                "200": _answer("the file upload session", "FileUpload"),
                **_upload_errors(missing, (Forbidden, "the token does not cover it"))},
                parameters=file),
            "delete": _operation("deleteFile", "Cancel a file upload, or remove the file", {
                "204": {"description": "removed"},
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"))},
                parameters=file),
        },
        f"{_FILE}/bytes": {"post": _operation("uploadBytes",
            "The file's bytes (the mechanism's file_url), checked against size and hashes", {
                "200": _answer("the file upload session, bytes verified", "FileUpload"),
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"),
                                 (TooLarge, "more bytes than --max-file-size"))},
            parameters=file, body={"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}})},
        f"{_FILE}/attestations": {"post": _operation("addAttestations",
            "PEP 740 attestations of a pending file (the mechanism's attestations_url)", {
                "200": _answer("the file upload session", "FileUpload"),
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"),
                                 (TooLarge, "the JSON body is over 1 MiB"))},
            parameters=file, body={"required": True, "content": {"application/json": {
                "schema": {"type": "array", "items": _ref("schemas", "Attestation")}}}})},
        f"{_FILE}/complete": {"post": _operation("completeFile",
            "Complete a file: the registry inspects it (wellformedness, secret scan)", {
                "201": _answer("the completed file", "FileUpload"),
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"),
                                 (Unprocessable, "not a well-formed distribution of the "
                                                 "release (invalid_file); the file is error"))},
            parameters=file, body=_json_body("Meta"))},
        f"{_FILE}/extend": {"post": _operation("extendFromFile",
            "Extend the session, from a file upload session", {
                "200": _answer("the file upload session", "FileUpload"),
                **_upload_errors(missing, state, (Forbidden, "the token does not cover it"))},
            parameters=file, body=_json_body("Extend"))},
    }


def _simple_page(operation_id: str, summary: str, parameters: tuple[str, ...], *,
                 redirects: bool) -> JSON:
    responses: JSON = {
        "200": {"description": "the page (PEP 503 HTML or PEP 691 JSON, by Accept or ?format=)",
                "content": {SIMPLE_JSON: {"schema": {"type": "object"}},
                            SIMPLE_HTML: {"schema": {"type": "string"}},
                            "text/html": {"schema": {"type": "string"}}}},
        "400": _problem(BadRequest, "not a valid project name"),
        "404": _problem(NotFound, "no such project or stage"),
        "406": {"description": "Not Acceptable: no media type this index serves was asked for",
                "content": {PROBLEM_TYPE: {"schema": _ref("schemas", "Problem")}}},
    }
    if redirects:
        responses["301"] = {"description": "the normalized project URL (PEP 503)"}
    return {"get": _operation(operation_id, summary, responses,
                              parameters=(*parameters, "accept", "format"),
                              secured=False)}


def _download(operation_id: str, summary: str, parameters: tuple[str, ...]) -> JSON:
    return {"get": _operation(operation_id, summary, {
        "200": {"description": "the file", "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "404": _problem(NotFound, "no such file (or stage)")}, parameters=parameters,
        secured=False)}


def _index_paths() -> JSON:
    return {
        "/simple/": _simple_page("liveIndex", "The live index: projects with something "
                                 "published", (), redirects=False),
        "/simple/{project}/": _simple_page("liveProject", "A project's published files",
                                           ("project_path",), redirects=True),
        "/files/{filename}": _download("liveFile", "A published file", ("filename",)),
        "/stage/{token}/": _simple_page("stageIndex", "A stage preview: the live index with "
                                        "the session's files", ("token",), redirects=False),
        "/stage/{token}/{project}/": _simple_page("stageProject", "A project's page on a stage "
                                                  "preview", ("token", "project_path"),
                                                  redirects=True),
        "/stage/{token}/files/{filename}": _download("stageFile", "A staged file",
                                                     ("token", "filename")),
        _INTEGRITY: _provenance("liveProvenance", "A published file's PEP 740 provenance "
                                "object (the Integrity API)", ()),
        f"/stage/{{token}}{_INTEGRITY}": _provenance(
            "stageProvenance", "A file's PEP 740 provenance object on a stage preview",
            ("token",)),
    }


def _provenance(operation_id: str, summary: str, parameters: tuple[str, ...]) -> JSON:
    return {"get": _operation(operation_id, summary, {
        "200": {"description": "the provenance object: one attestation bundle whose publisher "
                               "is the trusted publisher the attestations verified against",
                "content": {INTEGRITY_TYPE: {"schema": _ref("schemas", "Provenance")}}},
        "404": _problem(NotFound, "no such file here, or it has no attestations")},
        parameters=(*parameters, "project_path", "version_path", "filename"), secured=False)}


def _legacy_operation(operation_id: str, summary: str) -> JSON:
    text = "text/plain"
    return {"post": _operation(operation_id, summary, {
        "200": {"description": "staged: the session document; or an identical file already "
                               "published (text)",
                "content": {UPLOAD_TYPE: {"schema": _ref("schemas", "Session")},
                            text: {"schema": {"type": "string"}}}},
        "400": _problem(BadRequest, "a malformed form, file name, version or file; "
                                    "File already exists", media=text),
        "401": _problem(Unauthorized, "no or unknown token", media=text),
        "403": _problem(Forbidden, "the token does not cover the project, or the project "
                                   "does not allow direct publishing; or a cross-site request",
                        media=text),
        "409": _problem(Conflict, "the session is being published; a file name is taken",
                        media=text),
        "413": _problem(TooLarge, "a field over its limit, or the file over --max-file-size",
                        media=text),
    }, body={"required": True, "content": {"multipart/form-data": {
        "schema": _ref("schemas", "LegacyUpload"),
        "encoding": {"content": {"contentType": "application/octet-stream"}}}}})}


def _other_paths() -> JSON:
    return {
        "/legacy/": _legacy_operation("legacyUpload", "Legacy upload (twine, hatch): staged "
                                      "when the form says staged=true or the project requires "
                                      "staging"),
        "/legacy/staged/": _legacy_operation("legacyStagedUpload",
                                             "Legacy upload that always stages"),
        "/_/oidc/audience": {"get": _operation("oidcAudience", "The trusted-publishing audience", {
            "200": {"description": "the audience", "content": {"application/json": {
                "schema": {"type": "object", "required": ["audience"],
                           "properties": {"audience": {"type": "string"}}}}}}},
            secured=False)},
        "/_/oidc/mint-token": {"post": _operation("mintToken",
            "Exchange a CI job's OIDC token for a 15-minute stage token (PyPI's protocol)", {
                "200": {"description": "the minted token", "content": {"application/json": {
                    "schema": _ref("schemas", "Minted")}}},
                "400": _problem(BadRequest, "the body is not JSON", media="application/json"),
                "413": _problem(TooLarge, "the body is over 1 MiB", media="application/json"),
                "422": _problem(Unprocessable, "the token was refused",
                                media="application/json")},
            secured=False, body={"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": ["token"],
                           "properties": {"token": {"type": "string"}}}}}})},
        "/": {"get": _operation("home", "Where everything is", {"200": {
            "description": "the registry's entry points", "content": {
                "application/json": {"schema": {"type": "object"}}}}}, secured=False)},
        "/_/health": {"get": _operation("health", "Health, for a load balancer", {
            "200": {"description": "the database and the blob store answer", "content": {
                "application/json": {"schema": {"type": "object"}}}},
            "503": {"description": "the database or the blob store does not answer "
                                   "(`ok: false` with the kind of error)", "content": {
                "application/json": {"schema": {"type": "object"}}}}}, secured=False)},
        "/_/openapi.json": {"get": _operation("openapiDocument", "This document", {"200": {
            "description": "the OpenAPI document", "content": {
                "application/json": {"schema": {"type": "object"}}}}}, secured=False)},
    }


def _parameters() -> JSON:
    def path(name: str, pattern: str, description: str) -> JSON:
        return {"name": name, "in": "path", "required": True, "description": description,
                "schema": {"type": "string", "pattern": pattern}}

    def query(name: str, schema: JSON, description: str) -> JSON:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": schema}

    return {
        "session": path("session", "^[0-9a-f-]{36}$", "the session id"),
        "file": path("file", "^[0-9a-f]{32}$", "the file upload session id"),
        "group": path("group", "^group-[0-9a-f]{32}$", "the group id"),
        "token": path("token", "^[A-Za-z0-9_-]{43}$", "the session-token of a stage preview"),
        "project_path": path("project", NAME_PATTERN, "a project name"),
        "filename": path("filename", FILENAME_PATTERN, "a distribution file name"),
        "version_path": path("version", r"^[A-Za-z0-9._+!-]+$", "a version (PEP 440)"),
        "project": query("project", {"type": "string"}, "only this project's sessions"),
        "status": query("status", {"type": "string", "enum": [
            "open", "processing", "published", "error", "canceled"]}, "only sessions in it"),
        "groupStatus": query("status", {"type": "string", "enum": ["open"]},
                             "only groups with a session awaiting a decision"),
        "page": query("page", {"type": "integer", "minimum": 0, "maximum": 999999},
                      "the page, from 0"),
        "perPage": query("per-page", {"type": "integer", "minimum": 1, "maximum": 100},
                         "sessions per page (at most 100)"),
        "format": query("format", {"type": "string", "enum": [SIMPLE_JSON, SIMPLE_HTML,
                                                             "text/html"]},
                        "the media type, instead of Accept"),
        "accept": {"name": "Accept", "in": "header", "required": False,
                   "schema": {"type": "string"}, "description": "PEP 691 content negotiation"},
        "otp": {"name": "X-Hatch-Stage-OTP", "in": "header", "required": False,
                "description": "the current one-time password of the token's user",
                "schema": {"type": "string", "pattern": "^[0-9]{6}$"}},
    }


def _schemas() -> JSON:
    meta = {"type": "object", "required": ["api-version"],
            "properties": {"api-version": {"type": "string", "enum": ["2.0"]}}}
    digest = {"type": "string", "pattern": "^[0-9a-f]{64}$",
              "description": "sha256 of the sorted '<filename> <sha256>\\n' lines"}

    def request(required: list[str], properties: JSON) -> JSON:
        return {"type": "object", "required": ["meta", *required],
                "properties": {"meta": _ref("schemas", "MetaObject"), **properties}}

    return {
        "MetaObject": meta,
        "Meta": request([], {}),
        "SessionCreate": request(["name", "version"], {
            "name": {"type": "string", "maxLength": 200, "pattern": NAME_PATTERN,
                     "description": "PEP 508 name"},
            "version": {"type": "string", "maxLength": 64, "pattern": VERSION_PATTERN,
                        "description": "PEP 440 version (stored normalized)"}}),
        "FileStart": request(["filename", "size", "hashes", "mechanism"], {
            "filename": {"type": "string", "maxLength": 255, "pattern": FILENAME_PATTERN,
                         "description": "the release's wheel (PEP 427) or sdist (PEP 625)"},
            "size": {"type": "integer", "minimum": 1},
            "hashes": {"type": "object", "required": ["sha256"],
                       "additionalProperties": {"type": "string"},
                       "properties": {"sha256": {"type": "string",
                                                 "pattern": "^[0-9a-f]{64}$"}}},
            "mechanism": {"type": "string", "enum": ["http-post-bytes"]}}),
        "Publish": request([], {"release-digest": digest,
                                "allow-secrets": {"type": "boolean"}}),
        "Extend": request(["extend-for"], {"extend-for": {"type": "integer", "minimum": 1}}),
        "DecisionRequest": request(["action", "sessions"], {
            "action": {"type": "string", "enum": ["publish", "cancel"]},
            "sessions": {"type": "array", "minItems": 1, "maxItems": 100, "items": {
                "oneOf": [{"type": "string"}, {
                    "type": "object", "required": ["id"],
                    "properties": {"id": {"type": "string"}, "release-digest": digest}}]}},
            "allow-secrets": {"type": "boolean"}}),
        "Provenance": {"type": "object", "required": ["version", "attestation_bundles"],
                       "properties": {"version": {"type": "integer", "enum": [1]},
                                      "attestation_bundles": {"type": "array", "items": {
                                          "type": "object",
                                          "required": ["publisher", "attestations"]}}}},
        "Session": {"type": "object", "required": ["meta", "id", "status", "links", "files"],
                    "properties": {
                        "meta": meta, "id": {"type": "string"}, "name": {"type": "string"},
                        "version": {"type": "string"}, "status": {"type": "string"},
                        "links": {"type": "object"}, "files": {"type": "object"},
                        "session-token": {"type": "string"},
                        "expires-at": {"type": "string"},
                        "release-digest": {"type": "string"},
                        "history": {"type": "array"},
                        "validation": {"type": "object", "nullable": True},
                        "group": {"type": "object", "nullable": True},
                        "notices": {"type": "array", "items": {"type": "string"}}}},
        "GroupCreate": request(["sessions"], {
            "sessions": {"type": "array", "minItems": 1, "maxItems": 100,
                         "items": {"type": "string"},
                         "description": "session ids, in the order to decide them"}}),
        "Group": {"type": "object", "required": ["meta", "id", "status", "sessions"],
                  "properties": {"meta": meta, "id": {"type": "string"},
                                 "status": {"type": "string"},
                                 "created-at": {"type": "string"},
                                 "actor": {"type": "string"}, "actor-type": {"type": "string"},
                                 "links": {"type": "object"},
                                 "sessions": {"type": "array", "items": {"type": "object"}}}},
        "GroupList": {"type": "object", "required": ["meta", "groups", "total"],
                      "properties": {"meta": meta, "groups": {
                          "type": "array", "items": _ref("schemas", "Group")},
                          "page": {"type": "integer"}, "per-page": {"type": "integer"},
                          "total": {"type": "integer"}}},
        "SessionList": {"type": "object", "required": ["meta", "sessions", "total"],
                        "properties": {"meta": meta, "sessions": {
                            "type": "array", "items": _ref("schemas", "Session")},
                            "page": {"type": "integer"}, "per-page": {"type": "integer"},
                            "total": {"type": "integer"}}},
        "Decisions": {"type": "object", "required": ["meta", "sessions", "failures"],
                      "properties": {"meta": meta, "sessions": {
                          "type": "array", "items": _ref("schemas", "Session")},
                          "failed": {"type": "object", "nullable": True},
                          "failures": {"type": "array"}}},
        "FileUpload": {"type": "object",
                       "required": ["meta", "id", "status", "links", "mechanism"],
                       "properties": {"meta": meta, "id": {"type": "string"},
                                      "status": {"type": "string"},
                                      "links": {"type": "object"},
                                      "mechanism": {"type": "object"},
                                      "filename": {"type": "string"},
                                      "size": {"type": "integer"},
                                      "hashes": {"type": "object"}}},
        "Attestation": {"type": "object",
                        "required": ["version", "verification_material", "envelope"],
                        "properties": {"version": {"type": "integer"},
                                       "verification_material": {"type": "object"},
                                       "envelope": {"type": "object"}}},
        "Problem": {"type": "object", "required": ["status", "title", "detail", "code"],
                    "description": "RFC 9457 problem details; code is what clients act on",
                    "properties": {"type": {"type": "string"}, "status": {"type": "integer"},
                                   "title": {"type": "string"}, "detail": {"type": "string"},
                                   "code": {"type": "string"}, "meta": meta,
                                   "errors": {"type": "array"}}},
        "MintRefusal": {"type": "object", "required": ["message", "errors"],
                        "properties": {"message": {"type": "string"},
                                       "errors": {"type": "array"}}},
        "Minted": {"type": "object", "required": ["success", "token", "expires"],
                   "properties": {"success": {"type": "boolean"}, "token": {"type": "string"},
                                  "expires": {"type": "integer"}}},
        "LegacyUpload": {"type": "object", "required": ["name", "version", "content"],
                         "description": "the metadata fields come before the file (content); "
                                        f"each field at most {FIELD_LIMIT} bytes, the "
                                        f"description {DESCRIPTION_LIMIT}",
                         "properties": {
                             ":action": {"type": "string", "enum": ["file_upload"]},
                             "name": {"type": "string"}, "version": {"type": "string"},
                             "staged": {"type": "string"},
                             "sha256_digest": {"type": "string"},
                             "md5_digest": {"type": "string"},
                             "blake2_256_digest": {"type": "string"},
                             "attestations": {"type": "string"},
                             "description": {"type": "string"},
                             "content": {"type": "string", "format": "binary"}}},
    }


def document() -> JSON:
    """The OpenAPI document of this registry."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "hatch-stage registry", "version": __version__,
                 "description": "Staged publishing for Python packages: PEP 694 Upload 2.0 "
                                "sessions, stage previews, the live simple index, legacy "
                                "uploads and trusted publishing. See docs/registry.md."},
        "paths": {**_upload_paths(), **_index_paths(), **_other_paths()},
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic",
                          "description": "user __token__, password an API token"},
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "an API token (hst_...)"}},
            "parameters": _parameters(),
            "schemas": _schemas(),
        },
    }
