"""Provenance on the publishing side: which pre-made attestation files belong to which
artifacts, and whether this job has an identity to sign with.

Both are local, read-only checks (no network, no credentials), so the dry run can say what
``publish`` would attach, and the ``pep740-sign`` plugin uses the same rules when it does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import SignError
from ..models import Artifact, Attestation

#: the name pypi-attestations (and twine) give an attestation file
SUFFIX = ".publish.attestation"
#: CI systems whose jobs sigstore can get an identity token in, and the environment
#: variables that show the job may ask for one (what ``id`` looks at; nothing is requested)
AMBIENT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GitHub Actions", ("GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL",
                        "ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
    ("GitLab CI/CD", ("GITLAB_CI", "SIGSTORE_ID_TOKEN")),
    ("Buildkite", ("BUILDKITE",)),
    ("CircleCI", ("CIRCLECI",)),
    ("Google Cloud", ("GOOGLE_SERVICE_ACCOUNT_NAME",)),
)


def ambient_ci() -> str | None:
    """The CI system whose job this seems to be, able to get an OIDC identity; None if none."""
    for name, variables in AMBIENT:
        if all(os.environ.get(variable) for variable in variables):
            return name
    return None


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


def attestation_files(source: Path, artifacts: Sequence[Artifact]) -> list[Attestation]:
    """The attestations in ``source`` (one ``<artifact>.publish.attestation`` file, or a
    directory of them), each checked to attest exactly its artifact (name and sha256);
    :class:`SignError` for anything else, never a silent skip. Whether the signer is trusted
    is the registry's to check (it knows the project's trusted publishers)."""
    # imported here: verifying loads cryptography, which a publish without attestations to
    # attach never needs
    from .verify import same_distribution

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
        if not same_distribution(str(subject.get("name")), artifact.filename) \
                or sha256 != artifact.sha256:
            raise SignError(
                f"{path.name} attests {subject.get('name')} with another digest than the "
                f"{artifact.filename} being staged (was it rewritten after signing?)")
        attached.append(Attestation(artifact.filename, path))
    if not attached:
        raise SignError(f"--provenance-file {source}: no *{SUFFIX} files found")
    return attached
