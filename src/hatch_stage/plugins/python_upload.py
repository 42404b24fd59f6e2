"""Built-in plugin ``pep694-upload``: stage a Python release in one PEP 694 session.

Checks the version rules against the registry first, then creates (or resumes) the session
and streams every artifact from disk. Nothing becomes public: publishing is ``approve``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..models import Artifact, Attestation, Credentials, Project, StagedRelease
from ..versions import check_release


@impl
def hatch_stage_upload(
    artifacts: Sequence[Artifact],
    attestations: Sequence[Attestation],
    project: Project,
    config: Config,
    credentials: Credentials,
    registry: str,
) -> StagedRelease | None:
    if project.target != "python":
        return None
    # imported here: the HTTP client costs start-up to commands that never upload (check, the
    # pre-commit hook, --dry-run)
    from ..targets.pep694 import Pep694Client

    client = Pep694Client(registry, credentials)
    check_release(project.name, project.version, client.published_versions(project.name), config)
    return client.stage(project, artifacts, attestations)
