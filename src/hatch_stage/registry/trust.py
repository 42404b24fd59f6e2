"""Trusted publishing: exchanging a CI job's OIDC token for a short-lived stage token.

The JWT must be signed (RS256) by a key in the JWKS configured for a trusted publisher with
the token's issuer, carry this registry's audience, be current, and name the publisher's
repository, workflow file and (if set) environment, in GitHub Actions' claim layout
(``repository``, ``job_workflow_ref``, ``environment``). A JWT is accepted once (``jti``).
The minted token covers the matching publishers' projects, may stage but never publish, and
expires after ``minted_lifetime`` (15 minutes).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import jwt
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from .. import http
from . import schema
from .context import Context
from .problems import Unprocessable
from .views import Publisher

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


def workflow_of(claims: dict[str, Any]) -> str | None:
    """The workflow file name from ``job_workflow_ref``
    (``owner/repo/.github/workflows/release.yml@refs/...``)."""
    ref = claims.get("job_workflow_ref") or claims.get("workflow_ref")
    if not isinstance(ref, str) or "/.github/workflows/" not in ref:
        return None
    return ref.split("/.github/workflows/", 1)[1].split("@", 1)[0]


def matches(publisher: Publisher, claims: dict[str, Any]) -> bool:
    repository = claims.get("repository")
    if not isinstance(repository, str) or repository.lower() != publisher.repository.lower():
        return False
    if workflow_of(claims) != publisher.workflow:
        return False
    if publisher.environment is None:
        return True
    environment = claims.get("environment")
    return isinstance(environment, str) and environment.lower() == publisher.environment.lower()


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
            if source.startswith(("https://", "http://")):
                with http.client() as client:
                    response = http.send(client, "GET", source, error=Unprocessable,
                                         what="fetch the issuer's keys")
                response.raise_for_status()
                document = response.json()
            else:
                document = json.loads(Path(source).read_text())
        except (OSError, ValueError, httpx2.HTTPError) as error:
            raise refused("invalid-publisher", f"the issuer's keys could not be read: {error}"
                          ) from None
        self._jwks_cache[source] = (time.monotonic() + JWKS_TTL, document)
        return dict(document)

    def _verify(self, token: str, publisher: Publisher) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            keys = jwt.PyJWKSet.from_dict(self._jwks(publisher.jwks)).keys
            kid = header.get("kid")
            candidates = [key for key in keys if kid is None or key.key_id == kid]
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
                                               f"{issuer!r}")
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
            raise refused("invalid-publisher", (
                f"no trusted publisher matches repository {claims.get('repository')!r}, "
                f"workflow {workflow_of(claims)!r}, environment {claims.get('environment')!r}"))
        claims = verified[matching[0].jwks]
        return self._issue(matching, claims)

    def _issue(self, matching: list[Publisher], claims: dict[str, Any]) -> Minted:
        ctx = self.ctx
        now = ctx.now()
        projects = tuple(sorted({publisher.project for publisher in matching}))
        jti = claims.get("jti")
        try:
            with ctx.db.write() as connection:
                connection.execute(delete(schema.used_jwts)
                                   .where(schema.used_jwts.c.expires_at < now))
                if isinstance(jti, str) and jti:
                    connection.execute(insert(schema.used_jwts).values(
                        jti=jti[:255], expires_at=int(claims["exp"]) + LEEWAY))
                new = ctx.accounts.issue(
                    connection, projects, "stage", publisher_id=matching[0].id,
                    expires_in=ctx.settings.minted_lifetime)
        except IntegrityError:
            raise refused("invalid-reuse-token", "this token was already exchanged") from None
        assert new.expires_at is not None
        return Minted(new.token, new.expires_at, projects)
