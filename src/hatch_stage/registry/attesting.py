"""Verifying the PEP 740 attestations a file arrives with, before anything is stored.

Every attestation must verify (:mod:`hatch_stage.provenance`) against one of the project's
trusted publishers (the records trusted publishing uses), for this very file name and sha256,
on the Sigstore instance the registry is set to (production; ``serve --sigstore-staging``
for Sigstore's staging instance). A file whose attestations fail is refused (400
``provenance_refused``, the reason in the message) and nothing is stored; what passes is
kept with whom it verified against, and served as the file's provenance.
"""

from __future__ import annotations

import json
from typing import Any

from ..provenance import ProvenanceError, verify_attestations
from .context import Context
from .problems import ProvenanceRefused


def verified(ctx: Context, project: str, filename: str, sha256: str,
             attestations: Any) -> tuple[str, str]:
    """The attestations and their provenance record as stored (JSON texts), once they verify;
    :class:`ProvenanceRefused` with the reason otherwise. Slow: call outside transactions."""
    publishers = [publisher.identity for publisher in ctx.projects.publishers(project)]
    if not publishers:
        raise ProvenanceRefused(
            f"{filename}: attestations are verified against the project's trusted publishers, "
            f"and {project} has none; an administrator adds one with `hatch-stage admin "
            f"publisher add --project {project} ...`",
            errors=[{"source": "attestations", "message": "no trusted publisher"}])
    try:
        result = verify_attestations(attestations, filename, sha256, publishers,
                                     staging=ctx.settings.sigstore_staging)
    except ProvenanceError as error:
        raise ProvenanceRefused(f"attestations refused, nothing was stored: {error}",
                                errors=[{"source": "attestations", "message": str(error)}]
                                ) from None
    return json.dumps(list(result.attestations)), json.dumps(result.record())
