"""The legacy upload API's meaning here (what twine and hatch send), as a use case.

A staged upload (form field ``staged=true``, the ``/legacy/staged/`` URL, or a project that
requires staging) creates or joins the live session of that release and adds the file
completed, replacing a staged file of the same name (PEP 694 amendment, PR #5070). Otherwise
a maintainer may publish directly if the project allows it: the file then goes through a
session of its own that is published at once (promotion included). An identical copy of a
published file is accepted as a no-op; a different file under a published name is refused.
Every file is inspected first, as a completed PEP 694 upload is: one that is not a
well-formed distribution of the release is refused (400, the reason in the status line, as
PyPI answers twine) and nothing is stored.
"""

from __future__ import annotations

from typing import Any, Literal

from packaging.utils import canonicalize_version
from sqlalchemy.exc import IntegrityError

from . import attesting, files, guards, inspecting, records, sessions
from .blobs import Readable
from .context import Context
from .problems import BadRequest, Conflict, Forbidden
from .publishing import release
from .validation import check_filename, parse_version
from .views import Principal, SessionView

Outcome = Literal["staged", "published", "duplicate"]


def upload(ctx: Context, principal: Principal, *, name: str, version: str, filename: str,
           stream: Readable, hashes: dict[str, str], staged: bool,
           attestations: Any = None) -> tuple[Outcome, SessionView | None]:
    """Store one legacy upload; what happened and the session it went to."""
    project = guards.covered(principal, name)
    check_filename(filename, project, version)
    settings = ctx.projects.get(name)
    staged = staged or settings.require_staging
    if not staged and not (settings.allow_direct_publish and principal.role == "maintain"):
        raise Forbidden(f"{name} does not allow direct publishing: stage the upload (form field "
                        "staged=true, or the /legacy/staged/ URL) and have a maintainer approve "
                        "it")
    # attestations are checked against the declared sha256 before a byte is stored (the
    # bytes must then have it); an upload that declares none is checked once they are in
    verified = None
    if attestations is not None and hashes.get("sha256"):
        verified = attesting.verified(ctx, project, filename, hashes["sha256"], attestations)
    received = ctx.blobs.receive(stream, expected=hashes, size=None,
                                 limit=ctx.settings.max_file_size)
    stored = {**hashes, "sha256": received.sha256}
    if attestations is not None and verified is None:
        verified = attesting.verified(ctx, project, filename, received.sha256, attestations)
    with ctx.db.read() as connection:
        published = records.released_row(connection, filename)
    if published is not None:
        if published.sha256 == received.sha256:
            return "duplicate", None
        raise BadRequest(f"File already exists: {filename} is published with other contents; "
                         "published files cannot change, so release a new version")
    verdict = inspecting.inspect_file(ctx, filename, received.sha256, project, version)
    if verdict.reason is not None:
        # the blob is unreferenced: the sweep collects it
        raise BadRequest(f"{filename} is not a valid distribution of {name} {version}: "
                         f"{verdict.reason}")
    key = canonicalize_version(parse_version(version))
    try:
        with ctx.db.write() as connection:
            guards.expire(ctx, connection)
            session = records.live_session(connection, project, key)
            if session is not None and not staged:
                raise Conflict(f"{name} {version} has a staged session open: approve it, or "
                               "upload with staged=true to add to it")
            if session is None:
                session = sessions.open_session(ctx, connection, principal, name, version)
            elif session.status == "processing":
                raise Conflict(f"{name} {version} is being published; try again shortly")
            else:  # hold it while its files change, as every other change does
                session = guards.session(connection, principal, session.id, lock=True)
            current = [file for file in records.session_view(connection, session, 0).files
                       if file.filename == filename and file.status == "completed"]
            changed = not current or current[0].sha256 != received.sha256
            if changed:
                files.put(ctx, connection, principal, session, filename, received.size, stored,
                          status="completed", attestations=verified,
                          findings=verdict.findings_json(), replace_failed=True)
            session_id = session.id
    except IntegrityError:
        raise Conflict(f"another upload opened a session for {name} {version} at the same time; "
                       "try again") from None
    if changed:
        inspecting.refresh_report(ctx, session_id)
    if staged:
        return "staged", sessions.get(ctx, principal, session_id)
    return "published", release(ctx, principal, session_id)
