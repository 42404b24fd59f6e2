"""Provenance: PEP 740 attestations verified against a project's trusted publishers.

Neutral ground, like :mod:`hatch_stage.inspection` and :mod:`hatch_stage.diff`: the stage
registry verifies every attestation it is sent with this package (and serves what it
verified), and the command line uses it for ``hatch-stage verify --publisher`` and to show
who built a release. It imports neither the registry nor the client's pipeline, plugins or
commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: where each name of this package lives; a module is imported when one of its names is first
#: used: verifying loads cryptography, and a check or publish that attaches no provenance
#: needs neither module (their start-up pays for none)
_HOME = {
    **dict.fromkeys(("DEFAULT_ISSUERS", "DEFAULT_JWKS", "KINDS", "Kind", "PublisherIdentity",
                     "SignedBy", "kind_of", "parse_publisher"), "publishers"),
    **dict.fromkeys(("INTEGRITY_TYPE", "PREDICATE_TYPES", "ProvenanceError",
                     "VerifiedProvenance", "same_distribution", "verify_attestations",
                     "verify_provenance_object"), "verify"),
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
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
