"""Built-in plugin ``npm-upload``: stage the tarball through the registry's ``/-/stage`` API.

Before anything is sent, the version and tag rules of :mod:`hatch_stage.npm.versions` are
checked against what the registry has published and staged. The publish document is written
to a temporary file and streamed (see :mod:`hatch_stage.npm.publish`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import UploadError
from ..hookspecs import impl
from ..models import Artifact, Attestation, Credentials, Project, StagedRelease

if TYPE_CHECKING:
    from ..targets.npm import NpmStageClient


def _tarball(artifacts: Sequence[Artifact]) -> Artifact:
    tarballs = [artifact for artifact in artifacts if artifact.kind == "npm-tarball"]
    if len(tarballs) != 1:
        raise UploadError(f"an npm release is exactly one tarball; this one has {len(tarballs)}")
    return tarballs[0]


def _same_tarball_staged(client: NpmStageClient, stage_id: str, tarball: Artifact, name: str,
                         version: str) -> None:
    """Raise ``already_staged`` (as the Python target does) when the version is staged with
    exactly this tarball, so a rerun of an interrupted workspace release takes it up; a
    different tarball is left to the version rules (a conflict)."""
    from ..npm.tarball import identifiers

    if client.view(stage_id).digest in identifiers(tarball.path):
        already = UploadError(f"{name}@{version} is already staged (stage id {stage_id}) with "
                              "exactly this tarball: approve or reject it first",
                              code="already_staged")
        already.data = {"stageId": stage_id}
        raise already


@impl
def hatch_stage_upload(
    artifacts: Sequence[Artifact],
    attestations: Sequence[Attestation],
    project: Project,
    config: Config,
    credentials: Credentials,
    registry: str,
) -> StagedRelease | None:
    if project.target != "npm":
        return None
    from ..npm.npmrc import configured_registry  # the npm helpers load for npm projects only
    from ..npm.publish import write_document
    from ..npm.tarball import read_packed
    from ..npm.versions import check_release

    tarball = _tarball(artifacts)
    packed = read_packed(tarball, config.limits, UploadError)
    name, version = packed.name, packed.version
    if packed.manifest.get("private") is True:
        raise UploadError(f'{name} is marked "private": true in package.json; remove that to '
                          "publish it")
    if config.access == "restricted" and not name.startswith("@"):
        raise UploadError(f"{name} is not scoped, and only scoped packages can be restricted")
    provenance = next((a.path for a in attestations if a.artifact == tarball.filename), None)
    # imported here: the HTTP client costs start-up to commands that never upload (check, the
    # pre-commit hook, --dry-run)
    from ..targets.npm import NpmStageClient

    url = configured_registry(registry or None, project.root, name)
    with NpmStageClient(url, credentials) as client:
        # trusted-publishing tokens may publish but not list; the registry still answers 409
        staged = {} if credentials.source == "oidc" else client.staged_versions(name)
        if version in staged:
            _same_tarball_staged(client, staged[version], tarball, name, version)
        tag = check_release(name, version, config.tag, client.packument(name), staged,
                            allow_lower=config.allow_lower)
        with tempfile.TemporaryDirectory(prefix="hatch-stage-npm-") as scratch:
            document = Path(scratch) / "publish.json"
            write_document(document, manifest=packed.manifest, tarball=tarball.path,
                           registry=client.registry, tag=tag, access=config.access,
                           provenance=provenance)
            answer = client.stage_publish(name, document)
    return StagedRelease(stage_id=answer["stageId"], preview_url="", data=answer)
