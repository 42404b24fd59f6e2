"""Real PEP 740 test data (tests/fixtures/provenance, from pypi-attestations' test assets:
see its README.md for which trust root and publisher each attestation verifies against, and
LICENSE-Apache-2.0.txt), and helpers around it. A plain module beside stagekit.py."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from clitools import FIXTURES

from hatch_stage.provenance import PublisherIdentity

ASSETS = FIXTURES / "provenance"
#: a GitHub-published sdist and its publish attestation (production instance)
GITHUB_SDIST = "pypi_attestations-0.0.19.tar.gz"
GITHUB_REPOSITORY, GITHUB_WORKFLOW = "trailofbits/pypi-attestations", "release.yml"
#: a GitLab-published sdist (project facutuesca/gitlab-oidc-project, CI file .gitlab-ci.yml)
GITLAB_SDIST = "gitlab_oidc_project-0.0.3.tar.gz"
GITLAB_PROJECT, GITLAB_CI_FILE = "facutuesca/gitlab-oidc-project", ".gitlab-ci.yml"
#: an earlier release of GITHUB_SDIST's project, attested by the same publisher
GITHUB_EARLIER_SDIST = "pypi_attestations-0.0.16.tar.gz"
#: another project of the same owner (trailofbits/pypi-attestation-models, release.yml)
MODELS_SDIST = "pypi_attestation_models-0.0.4a2.tar.gz"
#: a wheel attested on Sigstore's *staging* instance by an email identity (no publisher)
STAGING_WHEEL = "rfc8785-0.1.2-py3-none-any.whl"
#: the trusted publishers of GITHUB_SDIST (and GITHUB_EARLIER_SDIST) and of GITLAB_SDIST
GITHUB_PUBLISHER = PublisherIdentity("github", GITHUB_REPOSITORY, GITHUB_WORKFLOW)
GITLAB_PUBLISHER = PublisherIdentity("gitlab", GITLAB_PROJECT, GITLAB_CI_FILE)

#: the attestation file of each distribution
ATTESTATION_FILES = {
    GITHUB_SDIST: f"{GITHUB_SDIST}.publish.attestation",
    GITLAB_SDIST: f"{GITLAB_SDIST}.publish.attestation",
    GITHUB_EARLIER_SDIST: f"{GITHUB_EARLIER_SDIST}.attestation",
    MODELS_SDIST: f"{MODELS_SDIST}.attestation",
    STAGING_WHEEL: f"{STAGING_WHEEL}.publish.attestation",
}


def sha256_of(distribution: str) -> str:
    return hashlib.sha256((ASSETS / distribution).read_bytes()).hexdigest()


def attestation(distribution: str) -> dict[str, Any]:
    """The real attestation object published for ``distribution``."""
    return dict(json.loads((ASSETS / ATTESTATION_FILES[distribution]).read_text()))


def copy_with_attestation(distribution: str, directory: Path) -> Path:
    """``distribution`` and its attestation, as ``<file>.publish.attestation`` (the name
    ``--provenance-file`` and ``twine --attestations`` look for), copied into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ASSETS / distribution, directory / distribution)
    (directory / f"{distribution}.publish.attestation").write_text(
        json.dumps(attestation(distribution)))
    return directory / distribution


def tampered(distribution: str, directory: Path) -> Path:
    """A copy of ``distribution`` under the same name with one bit flipped in the gzip
    header's timestamp: still a well-formed sdist, but other bytes than were attested."""
    data = bytearray((ASSETS / distribution).read_bytes())
    assert data[:2] == b"\x1f\x8b"
    data[4] ^= 0x01  # MTIME, the first of its four bytes
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / distribution
    target.write_bytes(bytes(data))
    with gzip.open(target) as stream:  # still reads: only the bytes changed, not the archive
        stream.read()
    return target
