"""The npm staged-publishing client: the registry's ``/-/stage`` API (npm CLI 11.15+).

``POST /-/stage/package/<name>`` stages a publish document; ``GET /-/stage`` lists (paged),
``GET /-/stage/<id>`` views, ``GET /-/stage/<id>/tarball`` downloads, ``POST
/-/stage/<id>/approve`` makes it live and ``DELETE /-/stage/<id>`` rejects it. Approve and
reject carry a one-time password in ``npm-otp`` when the registry asks for one (see
:mod:`hatch_stage.npm.otp`). Stage ids are checked to be UUIDs before any request, and every
failure becomes an error whose message says what to do.
"""

from __future__ import annotations

import base64
import builtins
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2
import semver

from .. import http
from ..errors import HatchStageError, OtpRequired, RegistryError, UploadError
from ..models import Credentials
from ..npm.auth import find_credentials
from ..npm.npmrc import configured_registry
from ..npm.otp import OTP_HEADER, WebAuth, is_challenge, terminal_web_auth, wait_for_token, web_urls
from ..npm.registry import escape_name, validate_registry
from ..output import is_terminal
from .interface import (
    PublishedFile,
    PublishedRelease,
    StageClient,
    StagedItem,
    previous_version,
    same_origin,
)
from .statuses import GONE, Advice, status_error

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
PER_PAGE = 100
MAX_PAGES = 1000
#: what shows whether a request that was not resent took effect after all
CHECK = "hatch-stage list"
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]|^\.+")


def check_stage_id(stage_id: str) -> str:
    """``stage_id`` if it is a UUID (what npm registries issue), else an error before any call."""
    if not UUID.match(stage_id):
        raise RegistryError(
            f"{stage_id!r} is not a stage id: npm stage ids are UUIDs such as "
            "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b (see `hatch-stage list`)",
            code="invalid_stage_id",
        )
    return stage_id.lower()


def integrity_of(record: Mapping[str, Any]) -> str | None:
    """What the registry says identifies the staged tarball: its ``integrity`` (SRI), else
    ``sha1:<shasum>``; None when it says neither. The npm stage API has no release digest, so
    this is what an approval is checked against."""
    integrity = record.get("integrity")
    if isinstance(integrity, str) and integrity:
        return integrity
    shasum = record.get("shasum")
    return f"sha1:{shasum}" if isinstance(shasum, str) and shasum else None


def _item(record: Mapping[str, Any]) -> StagedItem:
    name, version = str(record.get("packageName", "")), str(record.get("version", ""))
    digest = integrity_of(record)
    return StagedItem(
        stage_id=str(record.get("id", "")),
        name=name,
        version=version,
        tag=record.get("tag"),
        created_at=record.get("createdAt"),
        status="staged",
        raw=dict(record),
        digest=digest,
        files={f"{name.lstrip('@').replace('/', '-')}-{version}.tgz": digest} if digest else {},
    )


def _digest(dist: Mapping[str, Any]) -> tuple[str, str | None]:
    """The strongest digest a packument's ``dist`` publishes, as (algorithm, hex)."""
    integrity = dist.get("integrity")
    if isinstance(integrity, str) and integrity.startswith("sha512-"):
        try:
            return "sha512", base64.b64decode(integrity[len("sha512-"):], validate=True).hex()
        except ValueError:
            pass
    shasum = dist.get("shasum")
    return "sha1", shasum if isinstance(shasum, str) and shasum else None


def _json(response: httpx2.Response, error: type[HatchStageError], what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise error(f"{what}: the registry answered {response.status_code} without JSON") from None


class NpmStageClient(StageClient):
    """Talks to one npm registry's staging area with one token."""

    target = "npm"

    def __init__(self, registry: str, credentials: Credentials | None, *,
                 web_auth: WebAuth | None = None, session: httpx2.Client | None = None) -> None:
        """:param web_auth: how to take the user through the web flow; None where nobody can
        (``--json``, no terminal): a web challenge then fails with a clear error."""
        self.registry = validate_registry(registry)
        self._credentials = credentials
        self._web_auth = web_auth
        self._session = session or http.client()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> NpmStageClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def check_id(self, stage_id: str) -> str:
        return check_stage_id(stage_id)

    def _headers(self, otp: str | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._credentials is not None:
            headers["Authorization"] = f"Bearer {self._credentials.token}"
        if otp:
            headers[OTP_HEADER] = otp
        return headers

    def _send(self, method: str, path: str, *, error: type[HatchStageError], what: str,
              otp: str | None = None, **kwargs: Any) -> httpx2.Response:
        headers = {**self._headers(otp), **kwargs.pop("headers", {})}
        return http.send(self._session, method, self.registry + path, headers=headers,
                         error=error, what=what, **kwargs)

    def _fail(self, response: httpx2.Response, error: type[HatchStageError], what: str,
              missing: str = GONE, resent: bool = True, check: str = CHECK) -> HatchStageError:
        """The error for a failed answer, worded for what the user was doing (see
        :mod:`.statuses`).

        :param missing: what a 404 most likely means here
        :param resent: False for a request never sent twice (it carries a one-time password)
        :param check: the command that shows whether such a request took effect after all
        """
        response.read()
        needed = (
            "staged-publish (or publish) permission for the package" if error is UploadError
            else "publish permission for the package: a token that may only stage can "
            "neither approve nor reject"
        )
        advice = Advice(
            log_in="log in again with `hatch-stage login --npm`, or set NPM_TOKEN to a valid "
            "token",
            permission=f"the account needs {needed}",
            conflict="that version is already staged or published: bump the version",
        )
        return status_error(response, what=what, registry=self.registry, error=error,
                            advice=advice, missing=missing, resent=resent, check=check)

    def _with_second_factor(self, method: str, path: str, otp: str | None, what: str) -> (
        httpx2.Response
    ):
        # a second factor is spent once: never resend it on a 5xx
        response = self._send(method, path, otp=otp, error=RegistryError, what=what,
                              idempotent=False)
        if not is_challenge(response):
            return response
        urls = web_urls(response)
        if urls is not None:
            auth_url, done_url = urls
            if self._web_auth is None:
                raise OtpRequired(
                    f"{what} needs a second factor: the registry offers web authentication at "
                    f"{auth_url}, but there is no terminal to wait on."
                )
            self._web_auth.show(auth_url)
            token = wait_for_token(self._session, done_url, self.registry, self._web_auth,
                                   self._headers())
            response = self._send(method, path, otp=token, error=RegistryError, what=what,
                                  idempotent=False)
            if is_challenge(response):
                raise OtpRequired(f"{what}: the registry did not accept the web authentication.")
            return response
        if otp:
            raise OtpRequired(
                f"{what}: the registry refused the one-time password: it is wrong, expired or "
                "already used (each code works once; wait for the next one)."
            )
        raise OtpRequired(f"{what} needs a one-time password from your authenticator app.")

    # -- StageClient -------------------------------------------------------------------------

    def list(self, package: str | None = None) -> list[StagedItem]:
        items: list[StagedItem] = []
        for page in range(MAX_PAGES):
            params: dict[str, Any] = {"page": page, "perPage": PER_PAGE}
            if package:
                params["package"] = package
            response = self._send("GET", "-/stage", params=params, error=RegistryError,
                                  what="list the staged versions")
            if response.status_code != 200:
                raise self._fail(response, RegistryError, "list the staged versions",
                                 "does this registry support staged publishing (npm 11.15+)?")
            document = _json(response, RegistryError, "list the staged versions")
            batch = document.get("items", []) if isinstance(document, dict) else []
            items.extend(_item(record) for record in batch if isinstance(record, dict))
            total = document.get("total") if isinstance(document, dict) else None
            complete = isinstance(total, int) and len(items) >= total
            if not batch or complete or len(batch) < PER_PAGE:
                break
        return items

    def view(self, stage_id: str) -> StagedItem:
        stage_id = check_stage_id(stage_id)
        what = f"view staged version {stage_id}"
        response = self._send("GET", f"-/stage/{stage_id}", error=RegistryError, what=what)
        if response.status_code != 200:
            raise self._fail(response, RegistryError, what)
        return _item(_json(response, RegistryError, what))

    def fetch(self, stage_id: str, directory: Path) -> tuple[StagedItem, builtins.list[Path]]:
        item = self.view(stage_id)
        # npm stage download's name; the registry's words are made safe for a file name
        target = directory / _FILE_UNSAFE.sub("-", f"{item.name.lstrip('@')}-{item.version}-"
                                                   f"{item.stage_id}.tgz")
        what = f"download staged version {item.stage_id} ({target.name})"
        directory.mkdir(parents=True, exist_ok=True)
        # npm records a sha1 "shasum" per staged tarball; a registry without one is not checked
        expected = str(item.raw.get("shasum") or "") or None
        return item, [self._download(f"{self.registry}-/stage/{item.stage_id}/tarball", target,
                                     "sha1", expected, what, self._headers())]

    def approve(
        self, stage_id: str, otp: str | None, digest: str | None = None, *,
        allow_secrets: bool = False,
    ) -> Mapping[str, Any]:
        """Approve; with ``digest``, only if the staged tarball still has that integrity.

        The npm stage API cannot bind an approval to a tarball, so the check is a view just
        before the approval: a tarball swapped between the two requests would still go out
        (docs/npm.md). ``allow_secrets`` has no meaning here (npm registries do not scan).
        """
        stage_id = check_stage_id(stage_id)
        what = f"approve staged version {stage_id}"
        if digest is not None:
            current = self.view(stage_id).digest
            if current != digest:
                raise RegistryError(
                    f"not approved: staged version {stage_id} changed since it was reviewed "
                    f"(its tarball was {digest}, it is now {current or 'unknown'}); view it "
                    "again and approve what you see",
                    code="changed_since_review",
                )
        response = self._with_second_factor("POST", f"-/stage/{stage_id}/approve", otp, what)
        if response.status_code not in (200, 201):
            raise self._fail(response, RegistryError, what, resent=False,
                             check=f"hatch-stage view {stage_id}")
        document = _json(response, RegistryError, what) if response.content else {}
        return document if isinstance(document, dict) else {"message": str(document)}

    def reject(self, stage_id: str, otp: str | None) -> Mapping[str, Any]:
        stage_id = check_stage_id(stage_id)
        what = f"reject staged version {stage_id}"
        response = self._with_second_factor("DELETE", f"-/stage/{stage_id}", otp, what)
        if response.status_code not in (200, 202, 204):
            raise self._fail(response, RegistryError, what, resent=False,
                             check=f"hatch-stage view {stage_id}")
        return {"message": f"staged version {stage_id} rejected"}

    # -- the published release a staged one is compared with ------------------------------------

    def published_release(self, name: str, staged_version: str,
                          against: str | None = None) -> PublishedRelease | None:
        what = f"read the published versions of {name}"
        response = self._send("GET", escape_name(name), error=RegistryError, what=what)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, RegistryError, what, "the package is not published")
        document = _json(response, RegistryError, what)
        versions = document.get("versions") if isinstance(document, dict) else None
        if not isinstance(versions, dict) or not versions:
            return None
        chosen = previous_version(versions, staged_version, against, semver.Version.parse)
        if chosen is None:
            return None
        dist = versions[chosen].get("dist", {}) if isinstance(versions[chosen], dict) else {}
        url = dist.get("tarball") if isinstance(dist, dict) else None
        if not isinstance(url, str) or not url:
            raise RegistryError(f"{name}@{chosen} has no tarball URL in the registry's document")
        algorithm, digest = _digest(dist)
        filename = _FILE_UNSAFE.sub("-", f"{name.lstrip('@')}-{chosen}.tgz")
        return PublishedRelease(chosen, (PublishedFile(filename, url, algorithm, digest),))

    def download_published(self, release: PublishedRelease,
                           directory: Path) -> builtins.list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for file in release.files:
            what = f"download {file.filename}"
            # the token goes only to the registry itself, never to a host its document names
            headers = self._headers() if same_origin(file.url, self.registry) else {}
            paths.append(self._download(file.url, directory / file.filename, file.algorithm,
                                        file.digest, what, headers))
        return paths

    def _download(self, url: str, target: Path, algorithm: str, expected: str | None,
                  what: str, headers: Mapping[str, str]) -> Path:
        """A tarball into ``target``, verified, fetched again if its body is cut off."""
        return http.download(
            self._session, url, target, algorithm, expected, what=what,
            headers={**headers, "Accept": "application/octet-stream"},
            refuse=lambda response: self._fail(response, RegistryError, what))

    # -- publishing ----------------------------------------------------------------------------

    def packument(self, name: str) -> Mapping[str, Any] | None:
        """The registry's document for ``name`` (all published versions), or None if unknown."""
        what = f"read {name} from the registry"
        response = self._send("GET", escape_name(name), error=UploadError, what=what)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, UploadError, what)
        document = _json(response, UploadError, what)
        return document if isinstance(document, dict) else None

    def staged_versions(self, name: str) -> dict[str, str]:
        """Staged version -> stage id, for one package."""
        return {item.version: item.stage_id for item in self.list(name) if item.name == name}

    def stage_publish(self, name: str, document: Path) -> dict[str, Any]:
        """Send a publish document (see :mod:`hatch_stage.npm.publish`) to the staging area."""
        what = f"stage {name}"
        response = self._send(
            "POST", f"-/stage/package/{escape_name(name)}", error=UploadError, what=what,
            body=lambda: document.open("rb"),
            headers={"Content-Type": "application/json",
                     "Content-Length": str(document.stat().st_size)},
        )
        if response.status_code not in (200, 201):
            raise self._fail(response, UploadError, what)
        answer = _json(response, UploadError, what)
        if not isinstance(answer, dict) or not isinstance(answer.get("stageId"), str):
            raise UploadError(f"{what}: the registry staged it but answered without a stageId")
        return answer


def npm_client(registry: str | None, project_root: Path, *, interactive: bool | None = None,
               environ: Mapping[str, str] | None = None,
               credentials: Credentials | None = None) -> NpmStageClient:
    """A client for review: registry from the flag, ``.npmrc`` or npm's default, and a real
    token (trusted publishing tokens cannot manage staged versions).

    :param interactive: whether the web flow may wait for a person; by default, when stdin
        and stderr are terminals. Pass False under ``--json`` or ``-y``.
    :param credentials: the token to use (the review commands get it from the auth plugins);
        by default the npm sources in their documented order
    """
    manifest_name = _package_name(project_root)
    url = configured_registry(registry, project_root, manifest_name, environ)
    if credentials is None:
        credentials = find_credentials(url, purpose="manage", package=manifest_name,
                                       project_root=project_root, environ=environ)
    if interactive is None:
        interactive = is_terminal(sys.stdin) and is_terminal(sys.stderr)
    return NpmStageClient(url, credentials, web_auth=terminal_web_auth() if interactive else None)


def _package_name(project_root: Path) -> str | None:
    import json

    try:
        text = (project_root / "package.json").read_text(encoding="utf-8-sig")
        name = json.loads(text).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None
