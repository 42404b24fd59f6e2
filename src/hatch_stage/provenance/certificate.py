"""What a Fulcio signing certificate says about the job that signed, and whether that job is
one of a project's trusted publishers.

Fulcio copies the CI job's OIDC claims into certificate extensions (OIDs under
1.3.6.1.4.1.57264.1, documented in Fulcio's ``oid-info.md``): the issuer, the source
repository, the *build config* (the top-level workflow or CI file, with the ref it ran on)
and the ref and commit. A GitHub or GitLab publisher matches when the issuer, the repository
and the build config (its workflow file at the certificate's own ref or commit) are the
publisher's; a Google one when the issuer is Google's and the certificate's email is the
service account's. These are the checks pypi-attestations makes for the public index; they
are made here so that a self-managed GitLab (another issuer) works the same way, and so the
ref can be shown to the reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from .publishers import PublisherIdentity, SignedBy

_FULCIO = "1.3.6.1.4.1.57264.1"
_ISSUER_V1 = ObjectIdentifier(f"{_FULCIO}.1")  # raw bytes (deprecated, still present)
_ISSUER = ObjectIdentifier(f"{_FULCIO}.8")
_SOURCE_REPOSITORY = ObjectIdentifier(f"{_FULCIO}.12")
_SOURCE_DIGEST = ObjectIdentifier(f"{_FULCIO}.13")
_SOURCE_REF = ObjectIdentifier(f"{_FULCIO}.14")
_BUILD_CONFIG = ObjectIdentifier(f"{_FULCIO}.18")


def _der_utf8(data: bytes) -> str:
    """A DER UTF8String (tag 0x0C) as text; the newer Fulcio extensions are encoded so."""
    if len(data) < 2 or data[0] != 0x0C:
        raise ValueError("not a DER UTF8String")
    length, start = data[1], 2
    if length & 0x80:  # long form: the next (length & 0x7f) bytes hold the length
        size = length & 0x7F
        length, start = int.from_bytes(data[2:2 + size], "big"), 2 + size
    if start + length != len(data):
        raise ValueError("a DER UTF8String of the wrong length")
    return data[start:].decode("utf-8")


@dataclass(frozen=True)
class CertificateClaims:
    """The identity claims of a signing certificate (None where it carries none)."""

    issuer: str | None
    source_repository: str | None
    build_config: str | None
    ref: str | None
    sha: str | None
    #: the subject alternative names: an email, or the workflow URI
    names: tuple[str, ...]

    @classmethod
    def read(cls, certificate: x509.Certificate) -> CertificateClaims:
        values: dict[ObjectIdentifier, str] = {}
        for extension in certificate.extensions:
            raw = getattr(extension.value, "value", None)
            if not isinstance(raw, bytes):
                continue
            try:
                if extension.oid == _ISSUER_V1:
                    values[extension.oid] = raw.decode("utf-8")
                elif extension.oid.dotted_string.startswith(_FULCIO + "."):
                    values[extension.oid] = _der_utf8(raw)
            except (ValueError, UnicodeDecodeError):
                continue  # an extension we do not read; the ones we need are checked below
        try:
            alternative = certificate.extensions.get_extension_for_class(
                x509.SubjectAlternativeName).value
            names = (*alternative.get_values_for_type(x509.RFC822Name),
                     *alternative.get_values_for_type(x509.UniformResourceIdentifier))
        except x509.ExtensionNotFound:
            names = ()
        return cls(values.get(_ISSUER) or values.get(_ISSUER_V1),
                   values.get(_SOURCE_REPOSITORY), values.get(_BUILD_CONFIG),
                   values.get(_SOURCE_REF), values.get(_SOURCE_DIGEST), tuple(names))

    def describe(self) -> str:
        """Who signed, for a refusal: the build config (or the names) and the issuer."""
        who = self.build_config or ", ".join(self.names) or "an unnamed identity"
        return f"{who} (issuer {self.issuer or 'unknown'})"

    def matches(self, publisher: PublisherIdentity) -> bool:
        """Whether this certificate was issued to ``publisher``'s job."""
        if self.issuer is None or self.issuer.rstrip("/") != publisher.issuer_url:
            return False
        if publisher.kind == "google":
            return publisher.email.lower() in (name.lower() for name in self.names)
        repository = f"{publisher.web_base}/{publisher.repository}"
        if (self.source_repository or "").lower() != repository.lower():
            return False
        separator = "/.github/workflows/" if publisher.kind == "github" else "//"
        prefix = f"{repository}{separator}"
        config = self.build_config or ""
        # owner and repository as the forge spells them; the file and the ref exactly
        if config[:len(prefix)].lower() != prefix.lower():
            return False
        return any(config[len(prefix):] == f"{publisher.workflow}@{suffix}"
                   for suffix in (self.ref, self.sha) if suffix)


class TrustedPublisherPolicy:
    """A sigstore verification policy: the signing certificate must belong to one of
    ``publishers``. Sigstore calls :meth:`verify` once the certificate chain and its
    transparency proofs checked out; the publisher it matched is kept for the caller."""

    def __init__(self, publishers: Sequence[PublisherIdentity]) -> None:
        self.publishers = tuple(publishers)
        self.signed_by: SignedBy | None = None

    def verify(self, cert: x509.Certificate) -> None:
        from sigstore.errors import VerificationError

        claims = CertificateClaims.read(cert)
        for publisher in self.publishers:
            if claims.matches(publisher):
                self.signed_by = SignedBy(publisher, claims.ref, claims.sha)
                return
        trusted = "; ".join(publisher.describe() for publisher in self.publishers)
        raise VerificationError(f"signed by {claims.describe()}, which is not a trusted "
                                f"publisher of this project (trusted: {trusted})")
