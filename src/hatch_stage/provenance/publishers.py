"""Trusted publishers: who may sign a project's files, as attestation policy sees them.

Three kinds, as on the public index: **GitHub** (a repository and a workflow file under
``.github/workflows/``, optionally a deployment environment), **GitLab** (a project path,
subgroups allowed, and the path of its CI configuration file, optionally an environment)
and **Google** Cloud (a service account's email). The same records drive trusted publishing
(which OIDC tokens may mint a stage token) and attestation verification (whose signatures
the registry accepts), so a project trusts one list of identities for both.

:class:`PublisherIdentity` is the policy; :class:`SignedBy` is what a verified attestation
says about who signed it (the publisher plus the ref and commit it ran on), in the PEP 740
``publisher`` shape the index serves and the reviewer reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from ..errors import ConfigError

Kind = Literal["github", "gitlab", "google"]
KINDS: tuple[Kind, ...] = ("github", "gitlab", "google")
#: the OIDC issuer each kind's tokens (and Fulcio certificates) name by default
DEFAULT_ISSUERS: dict[Kind, str] = {
    "github": "https://token.actions.githubusercontent.com",
    "gitlab": "https://gitlab.com",
    "google": "https://accounts.google.com",
}
#: where each default issuer publishes its signing keys (for trusted publishing)
DEFAULT_JWKS: dict[Kind, str] = {
    "github": "https://token.actions.githubusercontent.com/.well-known/jwks",
    "gitlab": "https://gitlab.com/oauth/discovery/keys",
    "google": "https://www.googleapis.com/oauth2/v3/certs",
}
#: the ``kind`` of each in PEP 740 publisher objects (what pypi-attestations reads)
PEP740_KINDS: dict[Kind, str] = {"github": "GitHub", "gitlab": "GitLab", "google": "Google"}

# matched whole (``fullmatch``: ``$`` would let a trailing newline through), within the
# lengths the registry's database keeps
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_GITLAB_PROJECT = re.compile(r"(?=.{3,200}$)[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")
_WORKFLOW_FILE = re.compile(r"[A-Za-z0-9_.-]{1,195}\.ya?ml")
_CI_PATH = re.compile(r"(?=.{5,200}$)[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\.ya?ml")
_EMAIL = re.compile(r"(?=.{3,320}$)[^@\s/]+@[^@\s/]+\.[^@\s/]+")


def kind_of(text: str) -> Kind:
    """A publisher kind from a flag or a PEP 740 ``kind`` (any case)."""
    for kind in KINDS:
        if text.lower() == kind:
            return kind
    raise ConfigError(f"unknown publisher kind {text!r}: use github, gitlab or google")


@dataclass(frozen=True)
class PublisherIdentity:
    """One trusted publisher of a project, as far as signatures and tokens go."""

    kind: Kind
    #: GitHub ``owner/repo``; GitLab project path (``group/subgroup/project``); "" for Google
    repository: str = ""
    #: GitHub workflow file name (``release.yml``); GitLab CI file path (``.gitlab-ci.yml``);
    #: "" for Google
    workflow: str = ""
    #: the deployment environment the job must run in (GitHub, GitLab), None for any. Only
    #: trusted publishing checks it: Fulcio certificates do not carry it
    environment: str | None = None
    #: the Google Cloud service account's email; "" for the others
    email: str = ""
    #: the OIDC issuer; "" for the kind's default (a self-managed GitLab names its own)
    issuer: str = ""

    def __post_init__(self) -> None:
        # one spelling per issuer, so equal publishers compare equal
        object.__setattr__(self, "issuer", (self.issuer or DEFAULT_ISSUERS[self.kind]).rstrip("/"))

    @property
    def issuer_url(self) -> str:
        return self.issuer

    @property
    def web_base(self) -> str:
        """Where the repository lives on the web, as Fulcio certificates name it:
        ``https://github.com`` for GitHub's own issuer, else the issuer's origin."""
        if self.issuer_url == DEFAULT_ISSUERS["github"]:
            return "https://github.com"
        parts = urlsplit(self.issuer_url)
        return f"{parts.scheme}://{parts.netloc}"

    def check(self) -> PublisherIdentity:
        """This identity if its fields have the form its kind needs, else :class:`ConfigError`
        naming the field."""
        if self.kind == "google":
            if not _EMAIL.fullmatch(self.email):
                raise ConfigError(f"a Google publisher needs the service account's email, not "
                                  f"{self.email!r}")
            return self
        if self.kind == "github":
            if not _GITHUB_REPOSITORY.fullmatch(self.repository):
                raise ConfigError(f"repository {self.repository!r} must look like owner/name")
            if not _WORKFLOW_FILE.fullmatch(self.workflow):
                raise ConfigError(f"workflow {self.workflow!r} must be a workflow file name "
                                  "like release.yml (in .github/workflows/)")
        else:
            if not _GITLAB_PROJECT.fullmatch(self.repository):
                raise ConfigError(f"GitLab project {self.repository!r} must look like "
                                  "namespace/project (subgroups allowed)")
            if not _CI_PATH.fullmatch(self.workflow) or ".." in self.workflow.split("/"):
                raise ConfigError(f"CI file {self.workflow!r} must be a path in the "
                                  "repository like .gitlab-ci.yml or ci/release.yml")
        return self

    def describe(self) -> str:
        """One line for people: ``GitHub octo/demo, workflow release.yml``."""
        if self.kind == "google":
            return f"Google service account {self.email}"
        label = "workflow" if self.kind == "github" else "CI file"
        where = f"{PEP740_KINDS[self.kind]} {self.repository}, {label} {self.workflow}"
        return where + (f", environment {self.environment}" if self.environment else "")

    def pep740(self) -> dict[str, Any]:
        """The PEP 740 ``publisher`` object (pypi-attestations' layout), without claims."""
        kind = PEP740_KINDS[self.kind]
        # a self-managed GitLab (or GitHub Enterprise) is named, so the same path on another
        # forge is not mistaken for it
        issuer = {"issuer": self.issuer_url} if self.issuer_url != DEFAULT_ISSUERS[self.kind] \
            else {}
        if self.kind == "google":
            return {"kind": kind, "email": self.email, **issuer}
        key = "workflow" if self.kind == "github" else "workflow_filepath"
        return {"kind": kind, "repository": self.repository, key: self.workflow,
                "environment": self.environment, **issuer}

    def same_source(self, other: PublisherIdentity) -> bool:
        """Whether both name the same signer (kind, issuer, repository, workflow or email;
        repository names compared as their forges do, without case)."""
        return (self.kind, self.issuer_url, self.repository.lower(), self.workflow,
                self.email.lower()) == (other.kind, other.issuer_url, other.repository.lower(),
                                        other.workflow, other.email.lower())


def parse_publisher(spec: str) -> PublisherIdentity:
    """A publisher named on the command line (``verify --publisher``):
    ``github:OWNER/REPO/WORKFLOW.yml``, ``gitlab:NAMESPACE/PROJECT//CI_FILE.yml`` or
    ``google:SERVICE_ACCOUNT_EMAIL``."""
    kind_text, _, rest = spec.partition(":")
    if not rest:
        raise ConfigError(f"publisher {spec!r}: use github:OWNER/REPO/WORKFLOW.yml, "
                          "gitlab:NAMESPACE/PROJECT//CI_FILE.yml or google:EMAIL")
    kind = kind_of(kind_text)
    if kind == "google":
        return PublisherIdentity("google", email=rest).check()
    if "//" in rest:
        repository, _, workflow = rest.partition("//")
    elif kind == "github":
        repository, _, workflow = rest.rpartition("/")
    else:
        raise ConfigError(f"publisher {spec!r}: separate the GitLab project from its CI file "
                          "with //, as in gitlab:group/project//.gitlab-ci.yml")
    return PublisherIdentity(kind, repository=repository, workflow=workflow).check()


@dataclass(frozen=True)
class SignedBy:
    """Who signed a file's attestations, as verified: the trusted publisher, and the ref and
    commit the signing job ran on (from its Fulcio certificate)."""

    publisher: PublisherIdentity
    #: e.g. ``refs/tags/v1.0`` (None when the certificate names none, as for Google)
    ref: str | None = None
    #: the commit the job ran on
    sha: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The PEP 740 ``publisher`` object with its ``claims`` (the ref and commit)."""
        claims = {key: value for key, value in (("ref", self.ref), ("sha", self.sha)) if value}
        return {**self.publisher.pep740(), "claims": claims}

    def describe(self) -> str:
        return self.publisher.describe() + (f", ref {self.ref}" if self.ref else "")

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> SignedBy:
        """Read a PEP 740 ``publisher`` object back (the index's, or a provenance file's)."""
        kind = kind_of(str(document.get("kind", "")))
        environment = document.get("environment")
        publisher = PublisherIdentity(
            kind, repository=str(document.get("repository") or ""),
            workflow=str(document.get("workflow") or document.get("workflow_filepath") or ""),
            environment=str(environment) if environment else None,
            email=str(document.get("email") or ""), issuer=str(document.get("issuer") or ""))
        claims = document.get("claims")
        claims = claims if isinstance(claims, Mapping) else {}
        ref, sha = claims.get("ref"), claims.get("sha")
        return cls(publisher, str(ref) if ref else None, str(sha) if sha else None)
