"""Per-project policy: staging rules, promotion upstream, trusted publishers.

A project row is created when its first session is (that reserves the name, PEP 694) or when
an admin sets a policy. The live index never lists a project that has nothing published.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import Row

from ..errors import ConfigError
from ..provenance import PublisherIdentity
from ..urls import is_loopback
from . import schema
from .problems import BadRequest, NotFound
from .sealing import Sealer
from .storage import Database
from .views import ProjectSettings, Publisher

#: a PEP 508 name (matched whole: ``$`` would let a trailing newline through), at most 200
#: characters as the database keeps them
_PROJECT_NAME = re.compile(r"[A-Z0-9]([A-Z0-9._-]{0,198}[A-Z0-9])?", re.IGNORECASE)


def is_project_name(name: str) -> bool:
    return _PROJECT_NAME.fullmatch(name) is not None


def normalize(name: str) -> str:
    """The PEP 503 normalized project name; :class:`BadRequest` if it is not a valid name."""
    if not is_project_name(name):
        raise BadRequest(f"{name!r} is not a valid project name",
                         errors=[{"source": "name", "message": "see PEP 508 names"}])
    return str(canonicalize_name(name))


def _publisher(row: Row[Any]) -> Publisher:
    return Publisher(row.id, row.project, row.issuer, row.repository, row.workflow,
                     row.environment, row.jwks, row.kind or "github", row.email or "")


def check_fetch_url(url: str, what: str) -> str:
    """``url`` if the registry may fetch from it (or send a token to it): https, or plain
    http only on this machine's loopback; :class:`BadRequest` naming ``what`` otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host and parts.scheme == "https":
        return url
    if host and parts.scheme == "http" and is_loopback(host):
        return url
    raise BadRequest(f"{what} {url!r} must be an https:// URL (plain http:// only on this "
                     "machine's loopback, such as http://127.0.0.1:8080/)")


class Projects:
    """Project policy and trusted publishers over the registry database."""

    def __init__(self, db: Database, clock: Callable[[], float],
                 sealer: Sealer | None = None) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer or Sealer()

    def _settings(self, row: Row[Any]) -> ProjectSettings:
        token = row.upstream_token
        if token is not None:
            token = self.sealer.open(token, f"the upstream token of project {row.name!r}")
        return ProjectSettings(row.name, row.display_name, bool(row.require_staging),
                               bool(row.allow_direct_publish), row.upstream_url,
                               row.upstream_user, token, row.upstream_attestations is not False)

    def ensure(self, connection: Connection, name: str) -> str:
        """Create the project row if missing (inside a write transaction); the normalized name."""
        project = normalize(name)
        exists = connection.execute(
            select(schema.projects.c.name).where(schema.projects.c.name == project)).first()
        if exists is None:
            connection.execute(insert(schema.projects).values(
                name=project, display_name=name, require_staging=False,
                allow_direct_publish=False, created_at=int(self.clock())))
        return project

    def get(self, name: str, connection: Connection | None = None) -> ProjectSettings:
        """The policy of a project; the defaults when nothing was set."""
        project = normalize(name)
        query = select(schema.projects).where(schema.projects.c.name == project)
        if connection is not None:
            row = connection.execute(query).first()
        else:
            with self.db.read() as reading:
                row = reading.execute(query).first()
        return self._settings(row) if row is not None else ProjectSettings(project, name)

    def configure(self, name: str, **changes: Any) -> ProjectSettings:
        """Change a project's policy; ``changes`` are ProjectSettings field names."""
        allowed = {"require_staging", "allow_direct_publish", "upstream_url", "upstream_user",
                   "upstream_token", "upstream_attestations"}
        unknown = set(changes) - allowed
        if unknown:
            raise BadRequest(f"unknown project setting(s): {', '.join(sorted(unknown))}")
        url = changes.get("upstream_url")
        if url:
            check_fetch_url(url, "upstream URL")
        if changes.get("upstream_token") is not None:
            changes["upstream_token"] = self.sealer.seal(changes["upstream_token"])
        with self.db.write() as connection:
            project = self.ensure(connection, name)
            if changes:
                connection.execute(update(schema.projects)
                                   .where(schema.projects.c.name == project).values(**changes))
            return self.get(name, connection)

    def all(self) -> list[ProjectSettings]:
        with self.db.read() as connection:
            rows = connection.execute(select(schema.projects).order_by(schema.projects.c.name))
            return [self._settings(row) for row in rows]

    # trusted publishers -----------------------------------------------------------------

    def add_publisher(self, project: str, identity: PublisherIdentity, jwks: str) -> Publisher:
        """Trust ``identity`` for ``project``: its CI jobs may mint stage tokens, and its
        attestations are accepted for the project's files. ``jwks`` is where the issuer's
        signing keys are (a file, or an https URL)."""
        issuer = identity.issuer_url
        if not issuer.startswith("https://"):
            raise BadRequest(f"issuer {issuer!r} must be an https:// URL")
        try:
            identity.check()
        except ConfigError as error:
            raise BadRequest(str(error)) from None
        if "://" in jwks:
            check_fetch_url(jwks, "JWKS URL")
        with self.db.write() as connection:
            name = self.ensure(connection, project)
            result = connection.execute(insert(schema.publishers).values(
                project=name, kind=identity.kind, issuer=issuer,
                repository=identity.repository, workflow=identity.workflow,
                environment=identity.environment or None, email=identity.email or None,
                jwks=jwks, created_at=int(self.clock())))
            publisher_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return Publisher(int(publisher_id), name, issuer, identity.repository,
                         identity.workflow, identity.environment or None, jwks, identity.kind,
                         identity.email)

    def publishers(self, project: str | None = None, issuer: str | None = None) -> list[Publisher]:
        query = select(schema.publishers).order_by(schema.publishers.c.id)
        if project is not None:
            query = query.where(schema.publishers.c.project == normalize(project))
        if issuer is not None:
            query = query.where(schema.publishers.c.issuer == issuer.rstrip("/"))
        with self.db.read() as connection:
            return [_publisher(row) for row in connection.execute(query)]

    def remove_publisher(self, publisher_id: int) -> None:
        with self.db.write() as connection:
            result = connection.execute(
                delete(schema.publishers).where(schema.publishers.c.id == publisher_id))
            if result.rowcount != 1:
                raise NotFound(f"no trusted publisher with id {publisher_id}")
