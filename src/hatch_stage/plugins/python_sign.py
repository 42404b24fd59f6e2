"""Built-in plugin ``pep740-sign``: PEP 740 attestations for the staged files.

- ``--provenance-file PATH``: attach attestations made elsewhere. PATH is one attestation
  file named ``<artifact>.publish.attestation`` (pypi-attestations' naming) or a directory
  holding such files. Each must be a PEP 740 attestation whose in-toto subject is exactly
  that artifact (name and sha256); anything else is an error, never a silent skip
  (:func:`hatch_stage.provenance.attachments.attestation_files`). The registry then verifies
  the signature against the project's trusted publishers.
- ``--provenance``: sign here with sigstore, using the CI job's ambient OIDC identity
  (GitHub Actions, GitLab, ...): sigstore asks Fulcio for a short-lived certificate for that
  identity, signs each artifact's in-toto statement with it and logs the signature in Rekor.
  Signing needs those public services (or the private instance a ``sigstore-trust-config``
  names): without an identity or without them it fails with a clear error; it never stages
  unsigned when provenance was asked for.
- Neither: no provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import SignError
from ..hookspecs import impl
from ..models import Artifact, Attestation, Project
from ..output import register_secret
from ..provenance.attachments import SUFFIX, attestation_files


def trust_config(config: Config) -> Any:
    """The Sigstore instance to sign with: the one a ``sigstore-trust-config`` file names,
    else the public one (its trust root and service URLs refreshed over TUF, as sigstore's
    own command line does)."""
    from sigstore.models import ClientTrustConfig

    if config.sigstore_trust_config is None:
        return ClientTrustConfig.production()
    path = config.sigstore_trust_config
    try:
        return ClientTrustConfig.from_json(path.read_text(encoding="utf-8"))
    except Exception as error:  # an unreadable file or any parse error of sigstore's models
        raise SignError(f"sigstore-trust-config {path}: not a sigstore client trust config "
                        f"({type(error).__name__}: {error})") from None


def sign(artifacts: Sequence[Artifact], workdir: Path, config: Config) -> list[Attestation]:
    """Sign every artifact with sigstore using the ambient CI identity."""
    from pypi_attestations import Attestation as Pep740
    from pypi_attestations import Distribution
    from sigstore.oidc import IdentityToken, detect_credential
    from sigstore.sign import SigningContext

    try:
        credential = detect_credential()
    except Exception as error:  # sigstore wraps provider failures in several types
        raise SignError(f"--provenance: could not get this job's OIDC identity: {error}") from None
    if credential is None:
        raise SignError("--provenance needs an ambient OIDC identity (CI with id-token "
                        "permission); use --provenance-file or --no-provenance here")
    register_secret(credential)
    signed = []
    try:
        context = SigningContext.from_trust_config(trust_config(config))
        with context.signer(IdentityToken(credential), cache=True) as signer:
            for artifact in artifacts:
                attestation = Pep740.sign(signer, Distribution.from_file(artifact.path))
                path = workdir / f"{artifact.filename}{SUFFIX}"
                path.write_text(attestation.model_dump_json(), encoding="utf-8")
                signed.append(Attestation(artifact.filename, path))
    except SignError:
        raise
    except Exception as error:  # TUF, Fulcio and Rekor failures (network, refusals)
        raise SignError(f"--provenance: signing with sigstore failed: {error}") from None
    return signed


@impl
def hatch_stage_sign(artifacts: Sequence[Artifact], project: Project, config: Config) -> (
    list[Attestation] | None
):
    if project.target != "python":
        return None
    if config.provenance_file is not None:
        return attestation_files(config.provenance_file, artifacts)
    if config.provenance:
        return sign(artifacts, artifacts[0].path.parent, config)
    return None
