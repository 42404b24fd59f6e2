"""Provenance: PEP 740 attestations verified against a project's trusted publishers.

Neutral ground, like :mod:`hatch_stage.inspection` and :mod:`hatch_stage.diff`: the stage
registry verifies every attestation it is sent with this package (and serves what it
verified), and the command line uses it for ``hatch-stage verify --publisher`` and to show
who built a release. It imports neither the registry nor the client's pipeline, plugins or
commands.
"""

from __future__ import annotations

from .publishers import (
    DEFAULT_ISSUERS,
    DEFAULT_JWKS,
    KINDS,
    Kind,
    PublisherIdentity,
    SignedBy,
    kind_of,
    parse_publisher,
)
from .verify import (
    INTEGRITY_TYPE,
    PREDICATE_TYPES,
    ProvenanceError,
    VerifiedProvenance,
    same_distribution,
    verify_attestations,
    verify_provenance_object,
)

__all__ = [
    "DEFAULT_ISSUERS",
    "DEFAULT_JWKS",
    "INTEGRITY_TYPE",
    "KINDS",
    "PREDICATE_TYPES",
    "Kind",
    "ProvenanceError",
    "PublisherIdentity",
    "SignedBy",
    "VerifiedProvenance",
    "kind_of",
    "parse_publisher",
    "same_distribution",
    "verify_attestations",
    "verify_provenance_object",
]
