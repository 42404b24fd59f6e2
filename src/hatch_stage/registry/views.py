"""What the registry's service layer hands out: who is asking, and read-only records.

These frozen dataclasses are the boundary between the service and whoever drives it (the
HTTP routes, ``hatch-stage admin``, or the embedded registry in-process).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..digest import release_digest
from ..models import Check, Finding, quality_score
from ..provenance import Kind, PublisherIdentity, SignedBy

#: what a token allows: ``stage`` creates sessions and uploads; ``maintain`` also publishes
#: and cancels (each with a one-time password)
Role = Literal["stage", "maintain"]
ROLES: tuple[Role, ...] = ("stage", "maintain")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    #: user name, ``publisher:<id>`` for a trusted publisher, or ``local`` in-process
    actor: str
    #: "user", "publisher" or "local"
    kind: Literal["user", "publisher", "local"]
    role: Role
    #: normalized project names the credentials cover; ``"*"`` covers every project
    projects: frozenset[str]
    user_id: int | None = None
    token_id: int | None = None

    def covers(self, project: str) -> bool:
        """Whether these credentials may act on ``project`` (normalized)."""
        return "*" in self.projects or project in self.projects

    @classmethod
    def local(cls, actor: str = "local") -> Principal:
        """The in-process owner of an embedded registry: every project, no OTP (it can
        read the database anyway, so a second factor would protect nothing)."""
        return cls(actor=actor, kind="local", role="maintain", projects=frozenset({"*"}))


@dataclass(frozen=True)
class FileView:
    """One file upload session (PEP 694) and its file."""

    id: str
    session_id: str
    filename: str
    size: int
    #: declared hashes, {algorithm: hex}
    hashes: Mapping[str, str]
    #: pending, processing, completed, error or canceled
    status: str
    #: the bytes are stored and verified
    received: bool
    #: why the file is in error, if it is
    reason: str | None
    expires_at: int
    #: what the registry's secret scan and blocked-file rules found in it (completed files)
    findings: tuple[Finding, ...] = ()
    #: this name held other completed bytes earlier in the session (see the history)
    replaced: bool = False
    #: who signed its attestations, as verified when they arrived (None: no provenance)
    provenance: Provenance | None = None

    @property
    def sha256(self) -> str:
        return self.hashes["sha256"]


@dataclass(frozen=True)
class Provenance:
    """A file's verified PEP 740 attestations: whom they verified against, and what they are.

    :meth:`object` is the provenance object the Integrity API serves; ``signed_by`` is what a
    reviewer is shown (kind, repository or project, workflow, ref)."""

    signed_by: SignedBy
    predicate_types: tuple[str, ...]
    #: the attestation objects, as uploaded
    attestations: tuple[Mapping[str, object], ...]

    def object(self) -> dict[str, object]:
        return {"version": 1, "attestation_bundles": [
            {"publisher": self.signed_by.as_json(),
             "attestations": [dict(item) for item in self.attestations]}]}


@dataclass(frozen=True)
class Event:
    """One entry of a session's history: who changed what, and when."""

    at: int
    #: created, added, replaced, removed, failed, published, canceled or error
    event: str
    #: user name, ``publisher:<id>`` or ``local`` (``registry`` for the registry itself)
    actor: str
    actor_type: str
    filename: str | None = None
    #: the file's sha256 after the event (added, replaced)
    sha256: str | None = None
    #: the sha256 it had before (replaced, removed)
    previous_sha256: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    """What the registry's inspection found in a release: the client's scan and score."""

    #: the release digest the checks were computed for
    digest: str
    #: findings of every completed file (kept per file, so always current)
    findings: tuple[Finding, ...]
    #: the quality checks of the whole release
    checks: tuple[Check, ...]
    #: why the checks could not be computed, if they could not
    error: str | None = None

    @property
    def score(self) -> int:
        return quality_score(self.checks)


@dataclass(frozen=True)
class GroupRef:
    """Where a session stands in the group it was staged with."""

    id: str
    #: 0 for the first session to decide (dependency order)
    position: int


@dataclass(frozen=True)
class SessionView:
    """One publishing session (PEP 694) with its current files."""

    id: str
    #: the stage preview capability (``session-token``)
    token: str
    #: normalized project name
    project: str
    #: the project name as the uploader spelled it
    name: str
    version: str
    #: open, processing, published, error or canceled
    status: str
    reason: str | None
    actor: str
    actor_type: str
    created_at: int
    updated_at: int
    expires_at: int
    #: the files not canceled, by file name
    files: tuple[FileView, ...] = field(default=())
    #: the history, oldest first
    events: tuple[Event, ...] = field(default=())
    #: the validation report, once a file is completed
    report: ValidationReport | None = None
    #: the group this session was staged with, if any
    group: GroupRef | None = None

    @property
    def notices(self) -> list[str]:
        return [self.reason] if self.reason else []

    @property
    def completed(self) -> dict[str, str]:
        """``{filename: sha256}`` of the completed files: the release as it would publish."""
        return {file.filename: file.sha256 for file in self.files if file.status == "completed"}

    @property
    def digest(self) -> str:
        """The release digest of the completed files (see :mod:`hatch_stage.digest`)."""
        return release_digest(self.completed)

    @property
    def editable(self) -> bool:
        return self.status in ("open", "error")


#: what a group's member states add up to (see :attr:`GroupView.status`)
GROUP_STATES = ("open", "processing", "published", "error", "canceled", "mixed")


@dataclass(frozen=True)
class GroupView:
    """Sessions staged together to be decided together, in the order to decide them."""

    id: str
    actor: str
    actor_type: str
    created_at: int
    sessions: tuple[SessionView, ...] = ()

    @property
    def status(self) -> str:
        """``published`` or ``canceled`` when every session is; ``processing`` while one is;
        ``open`` while every one awaits a decision (``error`` if one of them is in error);
        ``mixed`` when some were decided and others not."""
        states = {session.status for session in self.sessions}
        if "processing" in states:
            return "processing"
        if len(states) == 1 and states <= {"published", "canceled", "open", "error"}:
            return states.pop()
        if states <= {"open", "error"}:
            return "error"
        return "mixed"


@dataclass(frozen=True)
class Approval:
    """One session a maintainer decides, with the release digest they reviewed."""

    session_id: str
    #: the digest of the files the approver saw (None: an unbound approval)
    digest: str | None = None


@dataclass(frozen=True)
class ReleasedFile:
    """A published file, served by the live index."""

    filename: str
    project: str
    version: str
    sha256: str
    size: int
    published_at: int
    #: its verified attestations, or None
    provenance: Provenance | None = None


@dataclass(frozen=True)
class ProjectSettings:
    """A project's policy, as ``hatch-stage admin project`` sets it."""

    name: str
    display_name: str
    require_staging: bool = False
    allow_direct_publish: bool = False
    upstream_url: str | None = None
    upstream_user: str | None = None
    #: the upstream token; only promotion reads it, nothing prints it
    upstream_token: str | None = field(default=None, repr=False)
    #: whether promotion sends each file's verified attestations along (PyPI takes them only
    #: from trusted publishing, so a token upload with them is refused there)
    upstream_attestations: bool = True

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output: the token only as present or not."""
        return {
            "name": self.display_name,
            "require_staging": self.require_staging,
            "allow_direct_publish": self.allow_direct_publish,
            "upstream_url": self.upstream_url,
            "upstream_user": self.upstream_user,
            "upstream_token_set": self.upstream_token is not None,
            "upstream_attestations": self.upstream_attestations,
        }


@dataclass(frozen=True)
class Publisher:
    """A trusted publisher: which CI job may mint stage tokens for a project, and whose
    attestations the registry accepts for its files."""

    id: int
    project: str
    #: the OIDC issuer URL, e.g. https://token.actions.githubusercontent.com
    issuer: str
    #: GitHub owner/name; GitLab project path; "" for Google
    repository: str
    #: GitHub workflow file name (release.yml); GitLab CI file path; "" for Google
    workflow: str
    #: the deployment environment the job must run in, or None for any
    environment: str | None
    #: a JWKS file path or https URL with the issuer's signing keys
    jwks: str
    kind: Kind = "github"
    #: the Google Cloud service account's email ("" for the others)
    email: str = ""

    @property
    def identity(self) -> PublisherIdentity:
        return PublisherIdentity(self.kind, self.repository, self.workflow, self.environment,
                                 self.email, self.issuer)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "project": self.project, "kind": self.kind,
                "issuer": self.issuer, "repository": self.repository or None,
                "workflow": self.workflow or None, "environment": self.environment,
                "email": self.email or None, "jwks": self.jwks}
