"""Built-in plugin ``pep740-sign``: PEP 740 attestations for the staged files.

- ``--provenance-file PATH``: attach attestations made elsewhere. PATH is one attestation
  file named ``<artifact>.publish.attestation`` (pypi-attestations' naming) or a directory
  holding such files. Each must be a PEP 740 attestation whose in-toto subject is exactly
  that artifact (name and sha256); anything else is an error, never a silent skip.
- ``--provenance``: sign here with sigstore, using the CI job's ambient OIDC identity
  (GitHub Actions, GitLab, ...). Signing needs the public sigstore services (Fulcio, Rekor):
  without an identity or without them it fails with a clear error; it never stages unsigned
  when provenance was asked for.
- Neither: no provenance.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..errors import SignError
from ..hookspecs import impl
from ..models import Artifact, Attestation, Project

SUFFIX = ".publish.attestation"


def _subject(path: Path) -> dict[str, object]:
    """The in-toto subject an attestation file speaks for."""
    from pydantic import ValidationError
    from pypi_attestations import Attestation as Pep740

    try:
        attestation = Pep740.model_validate_json(path.read_bytes())
        statement = json.loads(attestation.envelope.statement)
        (subject,) = statement["subject"]
    except (OSError, ValidationError, ValueError, KeyError, TypeError) as error:
        raise SignError(f"{path}: not a PEP 740 attestation for one file ({error})") from None
    return dict(subject)


def attach(source: Path, artifacts: Sequence[Artifact]) -> list[Attestation]:
    """Attestations for ``artifacts`` from a file or directory, each checked against its file."""
    if not source.exists():
        raise SignError(f"--provenance-file {source}: no such file or directory")
    candidates = sorted(source.glob(f"*{SUFFIX}")) if source.is_dir() else [source]
    by_artifact = {artifact.filename: artifact for artifact in artifacts}
    attached = []
    for path in candidates:
        name = path.name.removesuffix(SUFFIX)
        artifact = by_artifact.get(name)
        if artifact is None:
            raise SignError(f"{path.name} names no artifact of this release "
                            f"({', '.join(sorted(by_artifact))})")
        subject = _subject(path)
        digest = subject.get("digest")
        sha256 = digest.get("sha256") if isinstance(digest, dict) else None
        if subject.get("name") != artifact.filename or sha256 != artifact.sha256:
            raise SignError(
                f"{path.name} attests {subject.get('name')} with another digest than the "
                f"{artifact.filename} being staged (was it rewritten after signing?)")
        attached.append(Attestation(artifact.filename, path))
    if not attached:
        raise SignError(f"--provenance-file {source}: no *{SUFFIX} files found")
    return attached


def sign(artifacts: Sequence[Artifact], workdir: Path) -> list[Attestation]:
    """Sign every artifact with sigstore using the ambient CI identity."""
    from pypi_attestations import Attestation as Pep740
    from pypi_attestations import Distribution
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken, detect_credential
    from sigstore.sign import SigningContext

    try:
        credential = detect_credential()
    except Exception as error:  # sigstore wraps provider failures in several types
        raise SignError(f"--provenance: could not get this job's OIDC identity: {error}") from None
    if credential is None:
        raise SignError("--provenance needs an ambient OIDC identity (CI with id-token "
                        "permission); use --provenance-file or --no-provenance here")
    signed = []
    try:
        context = SigningContext.from_trust_config(ClientTrustConfig.production())
        with context.signer(IdentityToken(credential), cache=True) as signer:
            for artifact in artifacts:
                attestation = Pep740.sign(signer, Distribution.from_file(artifact.path))
                path = workdir / f"{artifact.filename}{SUFFIX}"
                path.write_text(attestation.model_dump_json(), encoding="utf-8")
                signed.append(Attestation(artifact.filename, path))
    except Exception as error:  # network, Fulcio and Rekor failures
        raise SignError(f"--provenance: signing with sigstore failed: {error}") from None
    return signed


@impl
def hatch_stage_sign(artifacts: Sequence[Artifact], project: Project, config: Config) -> (
    list[Attestation] | None
):
    if project.target != "python":
        return None
    if config.provenance_file is not None:
        return attach(config.provenance_file, artifacts)
    if config.provenance:
        return sign(artifacts, artifacts[0].path.parent)
    return None
