"""Verifying PEP 740 attestations for one file, offline, against trusted publishers.

An attestation is accepted only when all of this holds (PEP 740, *Attestation
verification*): it is a version 1 attestation object; its Sigstore certificate chains to the
Sigstore trust root and its signature is proven by the transparency log's entry; the
certificate names one of the given trusted publishers (:mod:`.certificate`); the DSSE
envelope's signature over the in-toto statement is valid; the statement has exactly one
subject whose file name (parsed, as the PEP requires) and sha256 are the file's; and its
predicate type is one the PEP knows. A file's attestations must all be signed by the same
publisher, at most one per predicate type.

The trust root is the one bundled with the installed ``sigstore`` (production, or staging
for tests with Sigstore's staging instance), read from the package itself: nothing is
fetched, and no root cached in the user's home directory is read or written, so the result
does not depend on who runs the check or on the network. The attestation objects are read
with pypi-attestations; sigstore checks the signatures.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from ..errors import HatchStageError
from .certificate import TrustedPublisherPolicy
from .publishers import PublisherIdentity, SignedBy

if TYPE_CHECKING:
    from sigstore.verify import Verifier

#: the predicate types PEP 740 accepts
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_V1 = "https://slsa.dev/provenance/v1"
PREDICATE_TYPES = (PUBLISH_V1, SLSA_V1)
#: the only DSSE payload type PEP 740 permits
IN_TOTO = "application/vnd.in-toto+json"
#: the largest attestation object accepted (a real one is about 10 KB)
MAX_ATTESTATION_BYTES = 256 * 1024
#: Sigstore's TUF repositories, whose trust roots sigstore ships
_ROOTS = {False: "https://tuf-repo-cdn.sigstore.dev", True: "https://tuf-repo-cdn.sigstage.dev"}
#: the Integrity API's media type
INTEGRITY_TYPE = "application/vnd.pypi.integrity.v1+json"


class ProvenanceError(HatchStageError):
    """Attestations that do not prove what they claim (the message says why)."""

    code = "provenance_refused"


@functools.lru_cache(maxsize=2)
def verifier(staging: bool = False) -> Verifier:
    """A sigstore verifier over the trust root bundled with sigstore (read once)."""
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    bundled = resources.files("sigstore._store") / quote(_ROOTS[staging], safe="") \
        / "trusted_root.json"
    try:
        with resources.as_file(bundled) as path:
            root = TrustedRoot.from_file(str(path))
    except (OSError, ValueError) as error:
        raise ProvenanceError(f"the Sigstore trust root bundled with sigstore cannot be read "
                              f"({error}); reinstall sigstore") from None
    return Verifier(trusted_root=root)


@dataclass(frozen=True)
class VerifiedProvenance:
    """A file's attestations, verified: who signed them and what they attest."""

    filename: str
    sha256: str
    signed_by: SignedBy
    #: the attestation objects as they were sent (JSON objects)
    attestations: tuple[Mapping[str, Any], ...]
    predicate_types: tuple[str, ...]

    def provenance_object(self) -> dict[str, Any]:
        """The PEP 740 provenance object the index serves for the file."""
        return {"version": 1, "attestation_bundles": [
            {"publisher": self.signed_by.as_json(),
             "attestations": [dict(item) for item in self.attestations]}]}

    def record(self) -> dict[str, Any]:
        """What the registry keeps beside the attestations: whom they verified against."""
        return {"publisher": self.signed_by.as_json(),
                "predicate_types": list(self.predicate_types)}


def _distribution(filename: str) -> tuple[Any, ...]:
    """A wheel or sdist name parsed as PEP 740 compares them (normalized name, version, tags)."""
    if filename.endswith(".whl"):
        return tuple(parse_wheel_filename(filename))
    if filename.endswith((".tar.gz", ".zip")):
        return tuple(parse_sdist_filename(filename))
    raise ValueError(f"{filename!r} is neither a wheel nor an sdist")


def same_distribution(name: str, other: str) -> bool:
    """Whether two file names name the same distribution once parsed (PEP 740 matches an
    attestation's subject so: the name normalized, the version and the tag set compared)."""
    try:
        return _distribution(name) == _distribution(other)
    except (ValueError, InvalidWheelFilename, InvalidSdistFilename):
        return False


def _short(error: object) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _statement_problem(payload: bytes, filename: str, sha256: str) -> tuple[str | None, str]:
    """Why the signed statement does not attest this file (None: it does), and its type."""
    try:
        statement = json.loads(payload)
        subjects = statement["subject"]
        predicate_type = str(statement["predicateType"])
    except (ValueError, KeyError, TypeError):
        return "its statement is not an in-toto statement", ""
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        return "its statement must have exactly one subject", predicate_type
    subject = subjects[0]
    name = str(subject.get("name") or "")
    try:
        _distribution(name)
    except (ValueError, InvalidWheelFilename, InvalidSdistFilename):
        return f"its subject {name!r} is not a wheel or sdist file name", predicate_type
    if not same_distribution(name, filename):
        return f"it attests {name}, not {filename}", predicate_type
    digest = subject.get("digest")
    if not isinstance(digest, dict) or str(digest.get("sha256", "")).lower() != sha256.lower():
        return (f"it attests other contents than this {filename} (the sha256 differs: a changed "
                "or rebuilt file)"), predicate_type
    if predicate_type not in PREDICATE_TYPES:
        return f"its predicate type {predicate_type!r} is not one PEP 740 knows", predicate_type
    return None, predicate_type


def _verify_one(item: Any, index: int, filename: str, sha256: str,
                publishers: Sequence[PublisherIdentity], staging: bool,
                ) -> tuple[SignedBy, str]:
    from pydantic import ValidationError
    from pypi_attestations import Attestation

    where = f"attestation {index} of {filename}"
    if not isinstance(item, Mapping):
        raise ProvenanceError(f"{where} is not a JSON object")
    if len(json.dumps(item)) > MAX_ATTESTATION_BYTES:
        raise ProvenanceError(f"{where} is larger than {MAX_ATTESTATION_BYTES} bytes")
    try:
        attestation = Attestation.model_validate(item)
        bundle = attestation.to_bundle()
    except Exception as error:  # hostile input is a refusal, whatever the parser raises
        first = error.errors()[0] if isinstance(error, ValidationError) else None
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}" if first else str(error)
        raise ProvenanceError(f"{where} is not a PEP 740 attestation ({_short(detail)})"
                              ) from None
    policy = TrustedPublisherPolicy(publishers)
    try:
        payload_type, payload = verifier(staging).verify_dsse(bundle, policy)
    except Exception as error:  # sigstore's errors, and what malformed materials raise
        raise ProvenanceError(f"{where} does not verify: {_short(error)}") from None
    if payload_type != IN_TOTO:
        raise ProvenanceError(f"{where} signs a {payload_type} payload, not an in-toto "
                              "statement")
    problem, predicate_type = _statement_problem(payload, filename, sha256)
    if problem is not None:
        raise ProvenanceError(f"{where} does not verify: {problem}")
    assert policy.signed_by is not None  # the policy accepted the certificate
    return policy.signed_by, predicate_type


def verify_attestations(attestations: Any, filename: str, sha256: str,
                        publishers: Sequence[PublisherIdentity], *,
                        staging: bool = False) -> VerifiedProvenance:
    """Verify a file's attestations (a JSON array) against the trusted ``publishers``;
    :class:`ProvenanceError` with the reason for the first that fails."""
    if not isinstance(attestations, list) or not attestations:
        raise ProvenanceError("attestations must be a non-empty JSON array of PEP 740 "
                              "attestation objects")
    if not publishers:
        raise ProvenanceError(f"the attestations of {filename} cannot be verified: the project "
                              "has no trusted publisher to verify them against")
    signers: list[SignedBy] = []
    types: list[str] = []
    for index, item in enumerate(attestations, 1):
        signed_by, predicate_type = _verify_one(item, index, filename, sha256, publishers,
                                                staging)
        if predicate_type in types:
            raise ProvenanceError(f"{filename} has more than one attestation of type "
                                  f"{predicate_type}")
        signers.append(signed_by)
        types.append(predicate_type)
    if len({signer.publisher for signer in signers}) > 1:
        raise ProvenanceError(f"the attestations of {filename} were signed by different "
                              f"publishers ({'; '.join(s.describe() for s in signers)})")
    return VerifiedProvenance(filename, sha256.lower(), signers[0],
                              tuple(dict(item) for item in attestations), tuple(types))


def verify_provenance_object(document: Any, filename: str, sha256: str,
                             publishers: Sequence[PublisherIdentity], *,
                             staging: bool = False) -> VerifiedProvenance:
    """Verify every attestation of a PEP 740 provenance object (what an index serves) against
    ``publishers`` the caller expects; the publisher the object itself names is not trusted."""
    bundles = document.get("attestation_bundles") if isinstance(document, Mapping) else None
    if not isinstance(bundles, list) or not bundles or document.get("version") != 1:
        raise ProvenanceError(f"the provenance of {filename} is not a PEP 740 provenance "
                              "object (version 1 with attestation_bundles)")
    attestations = [item for bundle in bundles if isinstance(bundle, Mapping)
                    for item in (bundle.get("attestations") or [])]
    return verify_attestations(attestations, filename, sha256, publishers, staging=staging)
