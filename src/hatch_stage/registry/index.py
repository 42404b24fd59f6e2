"""What installers see: the live index (published files only) and stage previews.

A stage preview is the live index with one session's completed files laid over its project,
reachable only through the session's random token. It exists while the session is open, in
error or processing, and after it is published; a canceled or expired session's preview is
gone.
"""

from __future__ import annotations

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version
from sqlalchemy import select

from . import records, schema
from .context import Context
from .problems import BadRequest, NotFound
from .projects import normalize
from .views import Provenance, ReleasedFile, SessionView


def stage_session(ctx: Context, token: str) -> SessionView:
    """The session behind a stage token; :class:`NotFound` for unknown or discarded ones."""
    with ctx.db.read() as connection:
        row = records.stage_row(connection, token)
        if row is None:
            raise NotFound("no such stage")
        view = records.session_view(connection, row, ctx.clock())
    if view.status == "canceled":
        raise NotFound("this stage was canceled or has expired")
    return view


def projects(ctx: Context, also: SessionView | None = None) -> list[str]:
    """Names of projects with something published (plus ``also``'s project), sorted."""
    query = (select(schema.projects.c.name, schema.projects.c.display_name)
             .where(schema.projects.c.name.in_(select(schema.released.c.project)))
             .order_by(schema.projects.c.name))
    with ctx.db.read() as connection:
        names = {row.name: row.display_name for row in connection.execute(query)}
    if also is not None:
        names.setdefault(also.project, also.name)
    return [names[key] for key in sorted(names)]


def released_files(ctx: Context, project: str) -> list[ReleasedFile]:
    """The published files of a project (any spelling of its name)."""
    query = (select(schema.released).where(schema.released.c.project == normalize(project))
             .order_by(schema.released.c.filename))
    with ctx.db.read() as connection:
        return [records.released_view(row) for row in connection.execute(query)]


def released_file(ctx: Context, filename: str) -> ReleasedFile:
    with ctx.db.read() as connection:
        row = records.released_row(connection, filename)
    if row is None:
        raise NotFound(f"no published file {filename}")
    return records.released_view(row)


def display_name(ctx: Context, project: str) -> str | None:
    """The project's name as first uploaded, or None when it has nothing published."""
    with ctx.db.read() as connection:
        row = connection.execute(
            select(schema.projects.c.display_name).where(
                schema.projects.c.name == normalize(project),
                schema.projects.c.name.in_(select(schema.released.c.project)))).first()
    return row[0] if row is not None else None


def _same_release(project: str, version: str, other_project: str, other_version: str) -> bool:
    try:
        return (normalize(project) == normalize(other_project)
                and canonicalize_version(Version(version)) == canonicalize_version(
                    Version(other_version)))
    except (BadRequest, InvalidVersion):
        return False


def provenance(ctx: Context, project: str, version: str, filename: str,
               token: str | None = None) -> Provenance:
    """The verified provenance of a file of ``project`` ``version`` (the Integrity API): a
    published file, or with ``token`` also a completed file of that stage; :class:`NotFound`
    for an unknown file or one without attestations."""
    found: Provenance | None = None
    known = False
    if token is not None:
        session = stage_session(ctx, token)
        staged = [file for file in session.files
                  if file.filename == filename and file.status == "completed"]
        if staged and _same_release(project, version, session.project, session.version):
            known, found = True, staged[0].provenance
    if not known:
        with ctx.db.read() as connection:
            row = records.released_row(connection, filename)
        if row is not None and _same_release(project, version, row.project, row.version):
            known, found = True, records.released_view(row).provenance
    if not known:
        raise NotFound(f"no file {filename} of {project} {version} here")
    if found is None:
        raise NotFound(f"{filename} has no provenance: it was uploaded without attestations")
    return found
