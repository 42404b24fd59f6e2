"""Provenance: PEP 740 attestations verified against a project's trusted publishers.

Neutral ground, like :mod:`hatch_stage.inspection` and :mod:`hatch_stage.diff`: the stage
registry verifies every attestation it is sent with this package (and serves what it
verified), and the command line uses it for ``hatch-stage verify --publisher`` and to show
who built a release. It imports neither the registry nor the client's pipeline, plugins or
commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .verify import (
        INTEGRITY_TYPE,
        PREDICATE_TYPES,
        ProvenanceError,
        VerifiedProvenance,
        same_distribution,
        verify_attestations,
        verify_provenance_object,
    )

#: the names :mod:`.verify` gives this package, imported when first used: verifying loads
#: cryptography, which the client pays for only when it verifies (start-up of check, publish)
_FROM_VERIFY = frozenset({
    "INTEGRITY_TYPE", "PREDICATE_TYPES", "ProvenanceError", "VerifiedProvenance",
    "same_distribution", "verify_attestations", "verify_provenance_object",
})


def __getattr__(name: str) -> Any:
    if name in _FROM_VERIFY:
        from . import verify

        return getattr(verify, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
