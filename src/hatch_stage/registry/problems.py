"""Why the registry refused a request, with the HTTP status that says so.

The service layer raises these; the HTTP layer turns them into RFC 9457 problem+json (PEP 694),
a status line and text (legacy upload) or PyPI's OIDC error shape. Used in-process (the
embedded registry, ``hatch-stage admin``) they are ordinary :class:`HatchStageError` s, so the
command line prints the message. Messages never contain a token or a one-time password.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import HatchStageError


class Problem(HatchStageError):
    """A request the registry refused; ``status`` is the HTTP status."""

    code = "registry_refused"
    status = 400
    title = "Bad Request"

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, str]] = (),
                 location: str | None = None) -> None:
        super().__init__(message)
        #: per-item errors for the problem document (``source``, ``message``)
        self.errors = list(errors)
        #: a session id the client should look at instead (409 on session creation)
        self.location = location

    @property
    def extensions(self) -> dict[str, object]:
        """Extra members of the problem document (RFC 9457 extension members)."""
        return {}


class BadRequest(Problem):
    """The request is malformed or names something invalid."""


class ProvenanceRefused(BadRequest):
    """Attestations that do not verify against the project's trusted publishers; nothing of
    the request was stored."""

    code = "provenance_refused"


class Unauthorized(Problem):
    """No credentials, or credentials the registry does not accept."""

    code = "auth_failed"
    status = 401
    title = "Unauthorized"
    #: the ``WWW-Authenticate`` challenge
    challenge = 'Basic realm="hatch-stage", Bearer realm="hatch-stage"'


class OtpRequired(Unauthorized):
    """Publishing or canceling needs a fresh one-time password on this very request."""

    code = "otp_required"
    challenge = "OTP"


class Forbidden(Problem):
    """The credentials are valid but do not allow this."""

    code = "forbidden"
    status = 403
    title = "Forbidden"


class NotFound(Problem):
    """No such session, file or project."""

    code = "not_found"
    status = 404
    title = "Not Found"


class Conflict(Problem):
    """The request clashes with the state of a session or a published file."""

    code = "conflict"
    status = 409
    title = "Conflict"


class TooLarge(Problem):
    """The file is larger than the registry accepts."""

    code = "too_large"
    status = 413
    title = "Content Too Large"


class Unprocessable(Problem):
    """Well-formed but unusable: an unknown upload mechanism, an unacceptable OIDC token."""

    code = "unprocessable"
    status = 422
    title = "Unprocessable Content"


class TooManyAttempts(Problem):
    """Too many wrong one-time passwords in a row; approvals pause for a while."""

    code = "rate_limited"
    status = 429
    title = "Too Many Requests"


class UpstreamFailed(Problem):
    """Promotion to the upstream index failed; the session is left in ``error``."""

    code = "promotion_failed"
    status = 502
    title = "Bad Gateway"


class FilesNotReady(Conflict):
    """Publishing needs every file completed: some are pending, or failed inspection."""

    code = "files_not_ready"


class ChangedSinceReview(Conflict):
    """The release's files are not the ones the approval names (its release digest)."""

    code = "changed_since_review"

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, str]] = (),
                 digest: str = "") -> None:
        super().__init__(message, errors=errors)
        #: the digest of the release as it is now
        self.digest = digest

    @property
    def extensions(self) -> dict[str, object]:
        return {"release-digest": self.digest}


class SecretsFound(Conflict):
    """The validation report holds findings that block, and the approval did not allow them."""

    code = "secrets_found"


class DigestRequired(Problem):
    """Publishing needs the release digest the approver reviewed (``release-digest``)."""

    code = "digest_required"
    status = 428
    title = "Precondition Required"


class InvalidFile(Unprocessable):
    """A completed upload is not a well-formed wheel or sdist of the session's release."""

    code = "invalid_file"


class StorageUnavailable(Problem):
    """The blob store (an object store) could not be reached or refused; try again."""

    code = "storage_unavailable"
    status = 503
    title = "Service Unavailable"
