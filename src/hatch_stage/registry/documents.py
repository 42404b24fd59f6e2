"""The JSON documents of the Upload 2.0 API (PEP 694), built from service views.

URL layout (all under the registry's base URL; clients follow ``links``, these are only
documented for people):

- ``/upload/2.0/``: create a session (POST)
- ``/upload/2.0/sessions``: list sessions (GET; index-specific, see docs/registry.md)
- ``/upload/2.0/sessions/<id>``: status (GET), cancel (DELETE); ``/publish``, ``/extend``,
  ``/files`` (POST)
- ``/upload/2.0/sessions/<id>/files/<file id>``: status (GET), delete (DELETE);
  ``/bytes`` (http-post-bytes ``file_url``), ``/attestations``, ``/complete``, ``/extend``
- ``/upload/2.0/groups``: group sessions (POST), list groups (GET); ``/groups/<id>`` (GET)
- ``/stage/<session-token>/``: the stage preview, a PEP 503/691 simple index

Besides the PEP's keys, a session document carries ``id``, ``name``, ``version``,
``created-at``, ``actor``, ``actor-type``, ``release-digest`` (what an approval must name),
``history`` (who added, replaced, removed or failed which file, and the decisions),
``validation`` (the registry's inspection: findings, quality checks, score) and ``group``
(the group it was staged with and its place in it, or null), and each ``files`` entry
``size``, ``hashes``, ``replaced``, ``provenance`` (who signed its verified attestations and
the Integrity API URL of its provenance object, or null) and, once completed, ``url`` (its
download from the stage preview). A file upload document carries its ``id``.
"""

from __future__ import annotations

import time
from typing import Any

from ..inspection import blocking
from .views import Event, FileView, GroupView, SessionView, ValidationReport

#: the Upload 2.0 content type
UPLOAD_TYPE = "application/vnd.pypi.upload.v2+json"
META = {"api-version": "2.0"}
#: where the Upload 2.0 API lives under the base URL
ROOT = "/upload/2.0"


def rfc3339(timestamp: float) -> str:
    """UTC, whole seconds, ``Z`` (what PEP 694 requires for ``expires-at``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class Urls:
    """The registry's absolute URLs for one base URL."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    @property
    def root(self) -> str:
        return f"{self.base}{ROOT}/"

    def session(self, session_id: str) -> str:
        return f"{self.base}{ROOT}/sessions/{session_id}"

    def file(self, session_id: str, file_id: str) -> str:
        return f"{self.session(session_id)}/files/{file_id}"

    def stage(self, token: str) -> str:
        return f"{self.base}/stage/{token}/"

    def provenance(self, project: str, version: str, filename: str,
                   stage_token: str | None = None) -> str:
        """The Integrity API URL of a file's provenance, on the live index or, with
        ``stage_token``, on that stage preview (PEP 740 wants it fully qualified)."""
        root = self.stage(stage_token) if stage_token else f"{self.base}/"
        return f"{root}integrity/{project}/{version}/{filename}/provenance"

    def group(self, group_id: str) -> str:
        return f"{self.base}{ROOT}/groups/{group_id}"


def file_entry(file: FileView, session: SessionView, urls: Urls) -> dict[str, Any]:
    """One entry of a session's ``files`` mapping."""
    entry: dict[str, Any] = {
        "status": file.status,
        "link": urls.file(session.id, file.id),
        "notices": [file.reason] if file.reason else [],
        "size": file.size,
        "hashes": dict(file.hashes),
        "replaced": file.replaced,
    }
    if file.status == "completed":
        entry["url"] = f"{urls.stage(session.token)}files/{file.filename}"
    entry["provenance"] = provenance_entry(file, session, urls)
    return entry


def provenance_entry(file: FileView, session: SessionView, urls: Urls) -> dict[str, Any] | None:
    """Who signed the file's attestations, as the registry verified them (the PEP 740
    publisher object with the ref and commit in ``claims``), and where its provenance object
    is served; None for a file without attestations."""
    if file.provenance is None:
        return None
    return {
        "publisher": file.provenance.signed_by.as_json(),
        "predicate-types": list(file.provenance.predicate_types),
        "url": urls.provenance(session.project, session.version, file.filename, session.token),
    }


def session_document(session: SessionView, urls: Urls) -> dict[str, Any]:
    """A publishing session as PEP 694 returns it (create, status, extend, publish)."""
    link = urls.session(session.id)
    return {
        "meta": META,
        "id": session.id,
        "name": session.name,
        "version": session.version,
        "links": {
            "stage": urls.stage(session.token),
            "upload": f"{link}/files",
            "session": link,
            "publish": f"{link}/publish",
            "extend": f"{link}/extend",
        },
        "mechanisms": ["http-post-bytes"],
        "session-token": session.token,
        "expires-at": rfc3339(session.expires_at),
        "status": session.status,
        "files": {file.filename: file_entry(file, session, urls) for file in session.files},
        "notices": session.notices,
        "created-at": rfc3339(session.created_at),
        "actor": session.actor,
        "actor-type": session.actor_type,
        "release-digest": session.digest,
        "history": [history_entry(event) for event in session.events],
        "validation": validation_document(session.report),
        "group": ({"id": session.group.id, "position": session.group.position,
                   "link": urls.group(session.group.id)} if session.group else None),
    }


def group_document(group: GroupView, urls: Urls, *, full: bool = True) -> dict[str, Any]:
    """A group of sessions (index-specific): its sessions in the order to decide them, as
    whole session documents (``full``) or as ``{"id", "name", "version", "status",
    "release-digest", "link"}`` (listings)."""
    if full:
        sessions = [session_document(session, urls) for session in group.sessions]
    else:
        sessions = [{"id": session.id, "name": session.name, "version": session.version,
                     "status": session.status, "release-digest": session.digest,
                     "link": urls.session(session.id)} for session in group.sessions]
    return {
        "meta": META,
        "id": group.id,
        "status": group.status,
        "created-at": rfc3339(group.created_at),
        "actor": group.actor,
        "actor-type": group.actor_type,
        "links": {"group": urls.group(group.id)},
        "sessions": sessions,
    }


def history_entry(event: Event) -> dict[str, Any]:
    """One event of a session's history."""
    return {
        "at": rfc3339(event.at),
        "event": event.event,
        "actor": event.actor,
        "actor-type": event.actor_type,
        "filename": event.filename,
        "sha256": event.sha256,
        "previous-sha256": event.previous_sha256,
        "reason": event.reason,
    }


def validation_document(report: ValidationReport | None) -> dict[str, Any] | None:
    """The validation report: the client's findings (each saying whether it blocks a publish
    under the client's gate rule) and quality checks, for the files it covers."""
    if report is None:
        return None
    stopping = set(blocking(report.findings))
    return {
        "release-digest": report.digest,
        "blocked": bool(stopping),
        "findings": [{**finding.as_json(), "blocking": finding in stopping}
                     for finding in report.findings],
        "score": None if report.error else report.score,
        "checks": [check.as_json() for check in report.checks],
        "error": report.error,
    }


def file_document(file: FileView, urls: Urls) -> dict[str, Any]:
    """A file upload session as PEP 694 returns it."""
    link = urls.file(file.session_id, file.id)
    return {
        "meta": META,
        "id": file.id,
        "links": {"file-upload-session": link, "complete": f"{link}/complete",
                  "extend": f"{link}/extend"},
        "status": file.status,
        "expires-at": rfc3339(file.expires_at),
        "mechanism": {"identifier": "http-post-bytes", "file_url": f"{link}/bytes",
                      "attestations_url": f"{link}/attestations"},
        "filename": file.filename,
        "size": file.size,
        "hashes": dict(file.hashes),
        "notices": [file.reason] if file.reason else [],
    }
