"""Trusted publishing: exchanging a CI job's OIDC token for a short-lived stage token.

The JWT must be signed (RS256) by a key in the JWKS configured for a trusted publisher with
the token's issuer, carry this registry's audience, be current, and name the publisher, in
the claim layout of its kind:

- **GitHub** Actions: ``repository``, and ``job_workflow_ref`` in full
  (``owner/repo/.github/workflows/release.yml@refs/...``): the workflow file must belong to
  the publisher's own repository, so a reusable workflow of another repository called by a
  trusted one never mints; ``environment`` when the publisher names one.
- **GitLab** CI/CD: ``project_path``, and ``ci_config_ref_uri`` in full
  (``gitlab.com/group/project//.gitlab-ci.yml@refs/...``, the instance's host first);
  ``environment`` when the publisher names one.
- **Google** Cloud: ``email`` (the service account) with ``email_verified`` true.

A JWT is accepted once: its ``jti`` (GitHub and GitLab tokens always carry one; a token
without it is refused) is remembered in the database until the token expires, so every
instance sharing the database refuses a replay. Google ID tokens carry no ``jti``; their
signature serves as the identifier instead. The minted token covers the matching
publishers' projects, may stage but never publish, and expires after ``minted_lifetime``.

Refusals go to callers nobody has authenticated yet: they say what was wrong with the
token, never where the registry keeps its keys or why it could not read them (that goes to
the server's log).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import jwt
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from .. import http
from . import schema
from .context import Context
from .problems import BadRequest, Unprocessable
from .projects import check_fetch_url
from .views import Publisher

log = logging.getLogger("hatch_stage.registry")

#: how long a JWKS fetched from a URL is reused
JWKS_TTL = 300
#: clock skew tolerated on exp/iat/nbf
LEEWAY = 30


@dataclass(frozen=True)
class Minted:
    """A stage token minted for a trusted publisher (shown once)."""

    token: str = field(repr=False)
    expires: int
    projects: tuple[str, ...]


def refused(code: str, description: str) -> Unprocessable:
    """A mint-token refusal in PyPI's shape (``errors: [{code, description}]``)."""
    return Unprocessable(description, errors=[{"code": code, "description": description}])


def _text(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _ref_after(reference: str | None, prefix: str, workflow: str) -> bool:
    """Whether ``reference`` is ``<prefix><workflow>@<ref>`` with a ref: the prefix (host,
    owner, repository) compared without case as the forges do, the file name exactly."""
    if reference is None or reference[:len(prefix)].lower() != prefix.lower():
        return False
    rest = reference[len(prefix):]
    return rest.startswith(f"{workflow}@") and len(rest) > len(workflow) + 1


def _environment_ok(publisher: Publisher, claims: dict[str, Any]) -> bool:
    if publisher.environment is None:
        return True
    environment = _text(claims, "environment")
    return environment is not None and environment.lower() == publisher.environment.lower()


def matches(publisher: Publisher, claims: dict[str, Any]) -> bool:
    """Whether verified ``claims`` name ``publisher``'s job."""
    if publisher.kind == "google":
        email = _text(claims, "email")
        return (email is not None and email.lower() == publisher.email.lower()
                and claims.get("email_verified") is True)
    if publisher.kind == "gitlab":
        project = _text(claims, "project_path")
        host = urlsplit(publisher.identity.issuer_url).netloc
        return (project is not None and project.lower() == publisher.repository.lower()
                and _ref_after(_text(claims, "ci_config_ref_uri"),
                               f"{host}/{publisher.repository}//", publisher.workflow)
                and _environment_ok(publisher, claims))
    repository = _text(claims, "repository")
    return (repository is not None and repository.lower() == publisher.repository.lower()
            and _ref_after(_text(claims, "job_workflow_ref"),
                           f"{publisher.repository}/.github/workflows/", publisher.workflow)
            and _environment_ok(publisher, claims))


def _who(claims: dict[str, Any]) -> str:
    """The identity a token claims, for a refusal (the caller's own claims, shortened)."""
    shown = {name: claims[name] for name in ("repository", "job_workflow_ref", "project_path",
                                              "ci_config_ref_uri", "email", "environment")
             if isinstance(claims.get(name), str)}
    text = ", ".join(f"{name} {value!r}" for name, value in shown.items()) or "no identity"
    return text[:500]


def replay_key(issuer: str, claims: dict[str, Any], token: str,
               matching: list[Publisher]) -> str:
    """What identifies the token for the spent-token table: its ``jti`` (required, except
    from Google, whose ID tokens have none and are identified by their signature)."""
    jti = _text(claims, "jti")
    if jti is not None:
        identifier = f"jti\n{jti}"
    elif all(publisher.kind == "google" for publisher in matching):
        # the signature's bytes, not its text: base64 has spare bits, so one signature can
        # be spelled several ways that all verify
        signature = jwt.utils.base64url_decode(token.rsplit(".", 1)[-1].encode())
        identifier = "signature\n" + signature.hex()
    else:
        raise refused("invalid-token", "the token has no jti claim: without one it could be "
                                       "exchanged any number of times")
    return hashlib.sha256(f"{issuer}\n{identifier}".encode()).hexdigest()


class TrustedPublishing:
    """Verifies OIDC tokens against configured publishers and mints stage tokens."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def _jwks(self, source: str) -> dict[str, Any]:
        cached = self._jwks_cache.get(source)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            if "://" in source:
                check_fetch_url(source, "JWKS URL")
                with http.client() as client:
                    response = http.send(client, "GET", source, error=Unprocessable,
                                         what="fetch the issuer's keys")
                response.raise_for_status()
                document = response.json()
            else:
                document = json.loads(Path(source).read_text())
            if not isinstance(document, dict):
                raise ValueError("the JWKS is not a JSON object")
        except (OSError, ValueError, httpx2.HTTPError, BadRequest) as error:
            # the reason (a path, an errno, an address) is for the operator, not the caller
            log.warning("trusted publishing: cannot read the JWKS at %s: %s", source, error)
            raise refused("invalid-publisher", "the registry could not read the issuer's "
                                               "signing keys; try again later, or ask the "
                                               "registry's operator (its log says why)"
                          ) from None
        self._jwks_cache[source] = (time.monotonic() + JWKS_TTL, document)
        return dict(document)

    def _verify(self, token: str, publisher: Publisher) -> dict[str, Any]:
        keys = self._jwks(publisher.jwks)
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            candidates = [key for key in jwt.PyJWKSet.from_dict(keys).keys
                          if kid is None or key.key_id == kid]
            if not candidates:
                raise jwt.InvalidTokenError("no key with the token's kid")
            claims: dict[str, Any] = jwt.decode(
                token, key=candidates[0].key, algorithms=["RS256"],
                audience=self.ctx.settings.audience, issuer=publisher.issuer,
                leeway=LEEWAY, options={"require": ["exp", "iat", "iss", "aud"]})
        except jwt.PyJWTError as error:
            raise refused("invalid-token", f"the token is not valid: {error}") from None
        except RecursionError:  # JSON nested deep enough to exhaust the parser
            raise refused("invalid-token", "the token is not valid JSON") from None
        return claims

    def mint(self, token: str) -> Minted:
        """A stage token for the publishers the JWT matches, or :class:`Unprocessable`."""
        try:
            issuer = str(jwt.decode(token, options={"verify_signature": False}).get("iss", ""))
        except (jwt.PyJWTError, RecursionError):  # the latter: JSON nested too deeply
            raise refused("invalid-payload", "the token is not a JWT") from None
        publishers = self.ctx.projects.publishers(issuer=issuer)
        if not publishers:
            raise refused("invalid-publisher", f"no trusted publisher is configured for issuer "
                                               f"{issuer[:200]!r}")
        # publishers may keep their keys in different places; one unreadable JWKS must not
        # stop the others from working
        verified: dict[str, dict[str, Any]] = {}
        failures: list[Unprocessable] = []
        for publisher in {p.jwks: p for p in publishers}.values():
            try:
                verified[publisher.jwks] = self._verify(token, publisher)
            except Unprocessable as failure:
                failures.append(failure)
        if not verified:
            raise failures[0]
        matching = [p for p in publishers
                    if p.jwks in verified and matches(p, verified[p.jwks])]
        if not matching:
            claims = next(iter(verified.values()))
            raise refused("invalid-publisher",
                          f"no trusted publisher matches this token ({_who(claims)})")
        claims = verified[matching[0].jwks]
        return self._issue(matching, claims, replay_key(issuer, claims, token, matching))

    def _issue(self, matching: list[Publisher], claims: dict[str, Any], key: str) -> Minted:
        ctx = self.ctx
        now = ctx.now()
        projects = tuple(sorted({publisher.project for publisher in matching}))
        try:
            with ctx.db.write() as connection:
                connection.execute(delete(schema.used_jwts)
                                   .where(schema.used_jwts.c.expires_at < now))
                # kept until the token could no longer be accepted anyway
                connection.execute(insert(schema.used_jwts).values(
                    jti=key, expires_at=int(claims["exp"]) + LEEWAY))
                new = ctx.accounts.issue(
                    connection, projects, "stage", publisher_id=matching[0].id,
                    expires_in=ctx.settings.minted_lifetime)
        except IntegrityError:
            raise refused("invalid-reuse-token", "this token was already exchanged") from None
        assert new.expires_at is not None
        return Minted(new.token, new.expires_at, projects)
