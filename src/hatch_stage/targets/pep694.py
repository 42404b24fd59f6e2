"""The Python target: PEP 694 (Upload 2.0) publishing sessions, as hatch-stage serve speaks them.

One session per release. Staging creates the session (or resumes the open one of the same
version), uploads every artifact with ``http-post-bytes`` streamed from disk, attaches
attestations and completes each file. Approving publishes the session, rejecting cancels
it; both carry the one-time password in ``X-Hatch-Stage-OTP``. Listing uses the registry's
session listing (``GET /upload/2.0/sessions``), an index-specific extension.
"""

from __future__ import annotations

import builtins
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import httpx2
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from .. import http
from ..digest import release_digest
from ..errors import OtpRequired, RegistryError, UploadError
from ..models import Artifact, Attestation, Credentials, Project, StagedRelease
from ..progress import transfer
from ..urls import rebase
from .interface import (
    PublishedFile,
    PublishedRelease,
    StageClient,
    StagedGroup,
    StagedItem,
    previous_version,
    same_origin,
)
from .statuses import Advice, status_error

UPLOAD_TYPE = "application/vnd.pypi.upload.v2+json"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY_TYPE = "application/vnd.pypi.integrity.v1+json"
#: the largest provenance object read (a real one is about 10 KB per attestation)
PROVENANCE_LIMIT = 4 * 1024 * 1024
META = {"api-version": "2.0"}
ROOT = "/upload/2.0"
OTP_HEADER = "X-Hatch-Stage-OTP"
#: a session id as the registry issues them (letters, digits, - and _)
STAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: how long to wait for a file or session the registry is still processing
PROCESSING_WAIT = 60.0
#: what shows whether a request that was not resent took effect after all
CHECK = "hatch-stage list"
#: the registry's problem codes that reach the user as they are (``error_code``): they say
#: more than the HTTP status does (docs/registry.md, *Problem codes*)
PASSED_ON = frozenset({
    "changed_since_review", "digest_required", "files_not_ready", "secrets_found",
    "invalid_file", "promotion_failed", "provenance_refused",
})


def _problem_code(response: httpx2.Response) -> str | None:
    """The ``code`` member of a problem document, if the answer is one."""
    try:
        document = response.json()
    except ValueError:
        return None
    code = document.get("code") if isinstance(document, dict) else None
    return code if isinstance(code, str) else None


def check_stage_id(stage_id: str) -> str:
    if not STAGE_ID.match(stage_id):
        raise RegistryError(
            f"{stage_id!r} is not a stage id (copy it from `hatch-stage list`)",
            code="invalid_stage_id",
        )
    return stage_id


class Pep694Client(StageClient):
    """Talks Upload 2.0 to one registry with one token."""

    target = "python"

    def __init__(
        self,
        registry: str,
        credentials: Credentials | None,
        label: str | None = None,
        public_base: str | None = None,
    ) -> None:
        """:param credentials: None only for what anybody may read (the live index)"""
        base = registry.rstrip("/")
        #: what users see; the embedded registry shows its data directory, not its port
        self.registry = label or base
        self.credentials = credentials
        headers = {"Authorization": f"Bearer {credentials.token}"} if credentials else {}
        self.http = http.client(base, headers)
        self._base = base
        #: where the same registry answers after this command ends (the embedded one)
        self._public_base = public_base

    def shown_url(self, url: str) -> str:
        return rebase(url, self._base, self._public_base) if self._public_base else url

    def check_id(self, stage_id: str) -> str:
        return check_stage_id(stage_id)

    # -- plumbing ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        otp: str | None = None,
        document: Mapping[str, Any] | None = None,
        idempotent: bool = True,
        check: str = CHECK,
        **kwargs: Any,
    ) -> httpx2.Response:
        headers = dict(kwargs.pop("headers", {}))
        if otp:
            headers[OTP_HEADER] = otp
        if document is not None:
            headers["Content-Type"] = UPLOAD_TYPE
            kwargs["json"] = {"meta": META, **document}
        response = http.send(
            self.http,
            method,
            url,
            error=RegistryError,
            what=what,
            headers=headers,
            idempotent=idempotent,
            **kwargs,
        )
        if response.status_code >= 400:
            self._fail(response, what, resent=idempotent, check=check)
        return response

    def _fail(
        self, response: httpx2.Response, what: str, resent: bool = True, check: str = CHECK
    ) -> NoReturn:
        """Raise the error for a failed answer (see :mod:`.statuses`).

        :param resent: False for a request never sent twice (it carries a one-time password)
        :param check: the command that shows whether such a request took effect after all
        """
        code = _problem_code(response)
        if code in PASSED_ON:
            raise RegistryError(f"could not {what}: {http.problem_detail(response)}", code=code)
        if response.status_code == 401 and "otp" in response.headers.get(
            "www-authenticate", ""
        ).lower():
            detail = http.problem_detail(response)
            raise OtpRequired(f"the registry needs a fresh one-time password: {detail}.")
        advice = Advice(
            log_in=f"check HATCH_STAGE_TOKEN, or run `hatch-stage login --registry "
            f"{self._base}` again",
            permission="the token's role or project scope does not allow it (a stage-only "
            "or trusted-publishing token can stage, not approve or reject)",
        )
        raise status_error(response, what=what, registry=self.registry, error=RegistryError,
                           advice=advice, resent=resent, check=check)

    def _session_url(self, stage_id: str) -> str:
        return f"{ROOT}/sessions/{check_stage_id(stage_id)}"

    # -- review -----------------------------------------------------------------------------

    def list(self, package: str | None = None) -> builtins.list[StagedItem]:
        items: builtins.list[StagedItem] = []
        page = 0
        while True:
            params = {"status": "open", "page": str(page), "per-page": "100"}
            if package:
                params["project"] = package
            document = self._call(
                "GET", f"{ROOT}/sessions", "list staged releases", params=params
            ).json()
            sessions = document.get("sessions", [])
            items.extend(item_of(session) for session in sessions)
            if not sessions or len(items) >= int(document.get("total", 0)):
                return items
            page += 1

    def view(self, stage_id: str) -> StagedItem:
        return item_of(self.session(stage_id), checked=True)

    def session(self, stage_id: str) -> dict[str, Any]:
        document: dict[str, Any] = self._call(
            "GET", self._session_url(stage_id), f"view stage {stage_id}"
        ).json()
        return document

    def fetch(self, stage_id: str, directory: Path) -> tuple[StagedItem, builtins.list[Path]]:
        document = self.session(stage_id)
        item = item_of(document, checked=True)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for filename, entry in sorted(document.get("files", {}).items()):
            if entry.get("status") != "completed" or not entry.get("url"):
                continue
            written.append(self._download_file(filename, entry, directory))
        if not written:
            raise RegistryError(f"stage {stage_id} has no completed files to download")
        return item, written

    def _download_file(self, filename: str, entry: Mapping[str, Any], directory: Path) -> Path:
        # the staged sha256 is always checked: a file without one is refused, not trusted
        expected = str(entry.get("hashes", {}).get("sha256", ""))
        return self._fetch(filename, str(entry["url"]), expected, directory)

    def _fetch(self, filename: str, url: str, expected: str | None, directory: Path) -> Path:
        """Stream one file into ``directory``, kept only when its sha256 is ``expected``."""
        if "/" in filename or "\\" in filename or filename in (".", ".."):
            raise RegistryError(f"the registry named a file {filename!r}; refusing to write it")
        what = f"download {filename}"
        # the token goes only to the registry itself, never to a file host it links to
        session = self.http if same_origin(url, self._base) else http.client()
        return http.download(session, url, directory / filename, "sha256", expected or "",
                             what=what, refuse=lambda response: self._fail(response, what))

    def approve(
        self, stage_id: str, otp: str | None, digest: str | None = None, *,
        allow_secrets: bool = False,
    ) -> Mapping[str, Any]:
        url = f"{self._session_url(stage_id)}/publish"
        # a one-time password is spent once: an approval is never resent after a 5xx
        what = f"approve stage {stage_id}"
        body: dict[str, Any] = {}
        if digest is not None:
            body["release-digest"] = digest  # the registry publishes only these files
        if allow_secrets:
            body["allow-secrets"] = True
        document = self._call(
            "POST", url, what, otp=otp, document=body, idempotent=False, check=_view(stage_id)
        ).json()
        return self._settled(stage_id, document)

    def reject(self, stage_id: str, otp: str | None) -> Mapping[str, Any]:
        document: Mapping[str, Any] = self._call(
            "DELETE",
            self._session_url(stage_id),
            f"reject stage {stage_id}",
            otp=otp,
            idempotent=False,
            check=_view(stage_id),
        ).json()
        return document

    def decide_batch(
        self, action: str, stage_ids: builtins.list[str], otp: str | None,
        digests: Mapping[str, str] | None = None, *, allow_secrets: bool = False,
    ) -> builtins.list[dict[str, Any]] | None:
        verb = "approve" if action == "approve" else "reject"
        bound = dict(digests or {})
        sessions: builtins.list[Any] = [
            {"id": stage_id, "release-digest": bound[stage_id]}
            if verb == "approve" and stage_id in bound else stage_id
            for stage_id in stage_ids
        ]
        response = http.send(
            self.http,
            "POST",
            f"{ROOT}/decisions",
            error=RegistryError,
            what=f"{verb} {len(stage_ids)} staged releases",
            idempotent=False,
            headers={"Content-Type": UPLOAD_TYPE, **({OTP_HEADER: otp} if otp else {})},
            json={
                "meta": META,
                "action": "publish" if verb == "approve" else "cancel",
                "sessions": sessions,
                **({"allow-secrets": True} if allow_secrets and verb == "approve" else {}),
            },
        )
        if response.status_code in (404, 405):
            return None  # a registry without batch decisions: one request per id
        if response.status_code >= 400:
            # some or all may have been decided: list shows the ones still waiting
            self._fail(response, f"{verb} {', '.join(stage_ids)}", resent=False)
        document = response.json()
        results = [
            {"stageId": str(session["id"]), "result": session}
            for session in document.get("sessions", [])
        ]
        failed = document.get("failures") or ([document["failed"]] if document.get("failed")
                                               else [])
        if failed:
            done = ", ".join(result["stageId"] for result in results) or "none"
            reasons = "; ".join(f"{item.get('id')}: {item.get('detail')}" for item in failed)
            raise RegistryError(
                f"could not {verb} {reasons} ({verb}d: {done})", code="batch_stopped"
            )
        return results

    # -- groups (index-specific: /upload/2.0/groups) -----------------------------------------

    def create_group(self, items: builtins.list[StagedItem]) -> StagedGroup | None:
        what = "group the staged releases"
        response = http.send(self.http, "POST", f"{ROOT}/groups", error=RegistryError,
                             what=what, headers={"Content-Type": UPLOAD_TYPE},
                             json={"meta": META, "sessions": [item.stage_id for item in items]})
        if response.status_code in (404, 405):
            return None  # a registry without groups: this machine keeps the group
        if response.status_code >= 400:
            self._fail(response, what)
        return group_of(response.json())

    def group(self, group_id: str) -> StagedGroup | None:
        what = f"view group {group_id}"
        response = http.send(self.http, "GET", f"{ROOT}/groups/{group_id}", error=RegistryError,
                             what=what)
        if response.status_code in (404, 405):
            return None
        if response.status_code >= 400:
            self._fail(response, what)
        return group_of(response.json())

    def groups(self) -> builtins.list[StagedGroup] | None:
        found: builtins.list[StagedGroup] = []
        for page in range(1000):
            what = "list the groups of staged releases"
            response = http.send(self.http, "GET", f"{ROOT}/groups", error=RegistryError,
                                 what=what, params={"status": "open", "page": str(page),
                                                    "per-page": "100"})
            if response.status_code in (404, 405):
                return None
            if response.status_code >= 400:
                self._fail(response, what)
            document = response.json()
            batch = document.get("groups", [])
            found.extend(group_of(entry) for entry in batch)
            if not batch or len(found) >= int(document.get("total", 0)):
                break
        return found

    def _settled(self, stage_id: str, document: dict[str, Any]) -> dict[str, Any]:
        """Poll a session the registry is still processing (publish may be asynchronous)."""
        deadline = time.monotonic() + PROCESSING_WAIT
        while document.get("status") == "processing" and time.monotonic() < deadline:
            time.sleep(0.5)
            document = self.session(stage_id)
        if document.get("status") == "error":
            raise RegistryError(
                f"the registry could not publish stage {stage_id}: "
                f"{'; '.join(map(str, document.get('notices', [])))}"
            )
        return document

    # -- staging ----------------------------------------------------------------------------

    def _simple_page(self, name: str) -> dict[str, Any] | None:
        """The live index's PEP 691 page of ``name``; None for a project it does not know."""
        what = f"read the published files of {name}"
        response = http.send(self.http, "GET", self._simple_url(name), error=RegistryError,
                             what=what, headers={"Accept": SIMPLE_JSON})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self._fail(response, what)
        document: dict[str, Any] = response.json()
        return document

    def _simple_url(self, name: str) -> str:
        return f"{self._base}/simple/{canonicalize_name(name)}/"

    def published_versions(self, name: str) -> builtins.list[str]:
        """Versions on the live index (PEP 691 JSON, PEP 700 ``versions``); [] for a new project."""
        page = self._simple_page(name)
        return [str(v) for v in page.get("versions", [])] if page else []

    def published_release(self, name: str, staged_version: str,
                          against: str | None = None) -> PublishedRelease | None:
        page = self._simple_page(name) or {}
        by_version: dict[str, list[PublishedFile]] = {}
        for entry in page.get("files", []):
            filename = str(entry.get("filename", ""))
            version = _file_version(filename)
            if version is None or entry.get("yanked"):
                continue
            url = str(httpx2.URL(self._simple_url(name)).join(str(entry.get("url", ""))))
            digest = entry.get("hashes", {}).get("sha256")
            provenance = entry.get("provenance")
            by_version.setdefault(version, []).append(
                PublishedFile(filename, url, "sha256", str(digest) if digest else None,
                              str(provenance) if isinstance(provenance, str) else None))
        chosen = previous_version(by_version, staged_version, against, Version)
        if chosen is None:
            return None
        return PublishedRelease(chosen, tuple(by_version[chosen]))

    def download_published(self, release: PublishedRelease,
                           directory: Path) -> builtins.list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        return [self._fetch(file.filename, file.url, file.digest, directory)
                for file in release.files]

    def provenance_object(self, url: str) -> Mapping[str, Any] | None:
        what = "read a file's provenance"
        # the token goes only to the registry itself, as for downloads
        session = self.http if same_origin(url, self._base) else http.client()
        body = bytearray()

        def receive(response: httpx2.Response) -> None:
            body.clear()  # a body cut off part way is read again from the start
            try:
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > PROVENANCE_LIMIT:
                        raise RegistryError(f"the provenance at {url} is larger than "
                                            f"{PROVENANCE_LIMIT} bytes; refusing to read it")
            finally:
                response.close()

        response = http.send(session, "GET", url, error=RegistryError, what=what,
                             headers={"Accept": INTEGRITY_TYPE}, receive=receive)
        if response.status_code != 200:
            try:
                response.read()
            finally:
                response.close()
            if response.status_code == 404:
                return None
            self._fail(response, what)
        try:
            document = json.loads(body)
        except ValueError:
            raise RegistryError(f"the provenance at {url} is not JSON") from None
        return document if isinstance(document, dict) else None

    def open_session(self, project: Project) -> dict[str, Any]:
        """Create the release's session, or take up the open one (a rerun resumes it)."""
        response = http.send(
            self.http,
            "POST",
            f"{ROOT}/",
            error=UploadError,
            what="create the publishing session",
            headers={"Content-Type": UPLOAD_TYPE},
            json={"meta": META, "name": project.name, "version": project.version},
        )
        if response.status_code == 409 and response.headers.get("location"):
            existing = self._call(
                "GET", response.headers["location"], "read the open session"
            ).json()
            if existing.get("status") == "open":
                return dict(existing)
        if response.status_code >= 400:
            self._fail(response, f"stage {project.name} {project.version}")
        return dict(response.json())

    def stage(
        self, project: Project, artifacts: Sequence[Artifact], attestations: Sequence[Attestation]
    ) -> StagedRelease:
        session = self.open_session(project)
        uploaded = session.get("files", {})
        if (
            uploaded
            and all(_same(uploaded.get(a.filename), a) for a in artifacts)
            and set(uploaded) == {a.filename for a in artifacts}
        ):
            already = UploadError(
                f"{project.name} {project.version} is already staged as {session['id']} "
                f"(approve or reject it first)",
                code="already_staged",
            )
            already.data = {"stageId": str(session["id"])}
            raise already
        by_name = {attestation.artifact: attestation for attestation in attestations}
        for artifact in artifacts:
            entry = uploaded.get(artifact.filename)
            if _same(entry, artifact):
                continue  # finished by an earlier, interrupted run
            if entry and entry.get("status") in ("pending", "error") and entry.get("link"):
                # cut off in an earlier run: the registry takes the name again only once the
                # unfinished upload is gone
                self._call(
                    "DELETE", entry["link"], f"discard the unfinished upload of {artifact.filename}"
                )
            self._upload(session, artifact, by_name.get(artifact.filename))
        final = self.session(str(session["id"]))
        return StagedRelease(
            stage_id=str(final["id"]), preview_url=str(final["links"]["stage"]), data=final
        )

    def _upload(
        self, session: Mapping[str, Any], artifact: Artifact, attestation: Attestation | None
    ) -> None:
        started = self._call(
            "POST",
            session["links"]["upload"],
            f"start the upload of {artifact.filename}",
            document={
                "filename": artifact.filename,
                "size": artifact.size,
                "hashes": {"sha256": artifact.sha256},
                "mechanism": "http-post-bytes",
            },
        ).json()
        mechanism = started["mechanism"]
        if attestation is not None:
            # before the bytes: the registry verifies them against the declared sha256, so a
            # refusal costs no upload
            self._call(
                "POST",
                mechanism["attestations_url"],
                f"attach provenance to {artifact.filename}",
                # the registry takes a JSON array; our files hold one attestation each
                content=json.dumps([json.loads(attestation.path.read_bytes())]),
                headers={"Content-Type": "application/json"},
            )

        def body() -> Iterator[bytes]:
            return transfer(artifact.path, artifact.filename, artifact.size)

        self._call(
            "POST",
            mechanism["file_url"],
            f"upload {artifact.filename}",
            body=body,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(artifact.size),
            },
        )
        done = self._call(
            "POST", started["links"]["complete"], f"complete {artifact.filename}", document={}
        ).json()
        deadline = time.monotonic() + PROCESSING_WAIT
        while done.get("status") == "processing" and time.monotonic() < deadline:
            time.sleep(0.5)
            done = self._call(
                "GET", started["links"]["file-upload-session"], f"check {artifact.filename}"
            ).json()
        if done.get("status") != "completed":
            raise UploadError(
                f"the registry did not accept {artifact.filename}: "
                f"{'; '.join(map(str, done.get('notices', []))) or done.get('status')}"
            )


def _view(stage_id: str) -> str:
    return f"hatch-stage view {stage_id}"


def _same(entry: Mapping[str, Any] | None, artifact: Artifact) -> bool:
    """Whether the session already holds exactly this artifact, completed."""
    if not entry or entry.get("status") != "completed":
        return False
    return bool(entry.get("hashes", {}).get("sha256") == artifact.sha256)


def item_of(session: Mapping[str, Any], *, checked: bool = False) -> StagedItem:
    """A session document as a staged item; its digest is computed here, from the files the
    document lists (``checked``: and must equal the registry's ``release-digest``)."""
    files = {
        str(name): str(entry.get("hashes", {}).get("sha256", ""))
        for name, entry in (session.get("files") or {}).items()
        if isinstance(entry, Mapping) and entry.get("status") == "completed"
    }
    digest = release_digest(files)
    claimed = session.get("release-digest")
    if checked and claimed is not None and claimed != digest:
        raise RegistryError(
            f"the registry's release digest for stage {session.get('id')} ({claimed}) is not "
            f"that of the files it lists ({digest}); do not approve it",
            code="digest_mismatch",
        )
    return StagedItem(
        stage_id=str(session["id"]),
        name=str(session.get("name", "")),
        version=str(session.get("version", "")),
        tag=None,
        created_at=session.get("created-at"),
        status=session.get("status"),
        raw=dict(session),
        digest=digest,
        files=files,
    )


def group_of(document: Mapping[str, Any]) -> StagedGroup:
    """A group document (whole session documents, or the brief entries of a listing)."""
    members = []
    for session in document.get("sessions") or []:
        if "files" in session:
            members.append(item_of(session, checked=True))
        else:
            members.append(StagedItem(
                stage_id=str(session["id"]), name=str(session.get("name", "")),
                version=str(session.get("version", "")), status=session.get("status"),
                raw=dict(session), digest=session.get("release-digest")))
    return StagedGroup(str(document["id"]), tuple(members), document.get("created-at"),
                       document.get("status"), "registry", dict(document))


def _file_version(filename: str) -> str | None:
    """The version a wheel or sdist file name carries; None for anything else."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None
