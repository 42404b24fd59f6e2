"""The registry looks inside what it stages, with the client's own inspection code.

When a file upload completes, the file is read from the blob store under the client's
archive limits: it must be a well-formed wheel or sdist of the session's release
(:func:`hatch_stage.inspection.check_distribution`), else it is ``error`` with the reasons.
A file that passes is scanned as the client's dry run scans it (blocked files and secrets:
:func:`hatch_stage.inspection.find_blocked`, :func:`~hatch_stage.inspection.find_secrets`);
its findings are kept with the file, so each file is scanned once (both read it through one
shared reading; the scan runs in the server's process, never in a pool of its own). The
release's quality checks (:func:`hatch_stage.inspection.score_python`) are recomputed for the
completed files after every change and kept on the session; a scorer that fails only leaves
the report without a score, it never fails a file. Together they are the
session's validation report, and :func:`hatch_stage.inspection.blocking` decides which
findings stop a publish, as it decides for the client's gate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import update

from ..contents import shared_reading
from ..digest import release_digest
from ..errors import HatchStageError
from ..inspection import blocking, check_distribution, find_blocked, find_secrets, score_python
from ..models import Artifact, Check, Finding
from . import notifications, records, schema
from .context import Context

#: the client's built-in plugins that run these checks: findings and checks carry their
#: names in the client's report, so they carry them here too
BLOCKED_FILES, SECRETS, SCORER = "blocked-files", "detect-secrets", "python-score"
_Result = TypeVar("_Result", Finding, Check)


@dataclass(frozen=True)
class FileVerdict:
    """What inspecting one staged file found."""

    #: why the file is not a well-formed distribution of the release (empty: it is)
    problems: tuple[str, ...]
    #: what the secret scan and the blocked-file rules found in it
    findings: tuple[Finding, ...] = ()

    @property
    def reason(self) -> str | None:
        return "; ".join(self.problems) or None

    def findings_json(self) -> str:
        return json.dumps([finding.as_json() for finding in self.findings])


def inspect_file(ctx: Context, filename: str, sha256: str, project: str,
                 version: str) -> FileVerdict:
    """Check one stored file against its release, then scan it (slow: no transaction open)."""
    limits = ctx.settings.limits
    try:
        with ctx.blobs.local_file(sha256, filename) as path:
            artifact = Artifact.from_path(path)
            problems = check_distribution(artifact, project, version, limits)
            if problems:
                return FileVerdict(tuple(problems))
            with shared_reading():  # one read of the file for both
                findings = [*_labelled(find_blocked([artifact], limits), BLOCKED_FILES),
                            *_labelled(find_secrets([artifact], limits, workers=1), SECRETS)]
            return FileVerdict((), tuple(findings))
    except FileNotFoundError:
        return FileVerdict(("the file's bytes are missing from the registry's store",))
    except ValueError as error:  # not a file kind the registry knows
        return FileVerdict((str(error),))
    except HatchStageError as error:  # an unsafe archive, a scanner that could not read it
        return FileVerdict((str(error).removeprefix(f"{filename}: "),))


def _checks(ctx: Context, files: Sequence[tuple[str, str]]) -> tuple[list[Check], str | None]:
    with contextlib.ExitStack() as stack:
        try:
            artifacts = [Artifact.from_path(stack.enter_context(ctx.blobs.local_file(sha, name)))
                         for name, sha in files]
            checks = score_python(artifacts, ctx.settings.limits)
        except (OSError, ValueError, HatchStageError) as error:
            return [], f"the quality checks could not run: {error}"
    return _labelled(checks, SCORER), None


def _labelled(results: Sequence[_Result], plugin: str) -> list[_Result]:
    return [r if r.plugin else dataclasses.replace(r, plugin=plugin) for r in results]


def refresh_report(ctx: Context, session_id: str) -> None:
    """Recompute the release's quality checks if its files changed since the last report.

    Runs outside any transaction (scoring reads every file); the result is written only if
    the files are still the ones scored, so concurrent changes never leave a stale report.
    """
    with ctx.db.read() as connection:
        row = records.fresh(connection, session_id)
        files = [(file.filename, file.sha256) for file in records.live_files(connection, row.id)
                 if file.status == "completed"]
    digest = release_digest(files)
    stored = json.loads(row.report) if row.report else {}
    if not files or stored.get("digest") == digest:
        return
    checks, error = _checks(ctx, files)
    report = json.dumps({"digest": digest, "checks": [check.as_json() for check in checks],
                         "error": error})
    with ctx.db.write() as connection:
        records.load_session(connection, session_id, lock=True)
        now = {(file.filename, file.sha256) for file in records.live_files(connection, session_id)
               if file.status == "completed"}
        if release_digest(now) == digest:
            connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id)
                               .values(report=report))
            if not notifications.listened(connection, row.project, "validated"):
                return
            view = records.session_view(connection, records.fresh(connection, session_id),
                                        ctx.clock())
            findings = view.report.findings if view.report else ()
            details = {"blocked": bool(blocking(findings)), "findings": len(findings),
                       "score": view.report.score if view.report else None,
                       "checks-error": error}
            notifications.emit(ctx, connection, "validated", session_id, None, **details)
