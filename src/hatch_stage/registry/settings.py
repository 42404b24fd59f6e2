"""The registry's server-wide settings (what ``hatch-stage serve`` flags set)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import ScanLimits


@dataclass(frozen=True)
class RegistrySettings:
    """Server-wide knobs; the defaults suit a local registry."""

    #: how long a new session lives (PEP 694 recommends no less than a week)
    session_lifetime: int = 7 * 24 * 3600
    #: how long a session may live in total, extensions included
    max_lifetime: int = 30 * 24 * 3600
    #: the largest file accepted
    max_file_size: int = 10 * 1024**3
    #: the most files one session may hold (the largest real releases carry about 150
    #: wheels); a session's document, and every listing of it, stays bounded
    max_session_files: int = 300
    #: the OIDC audience trusted-publishing JWTs must carry
    audience: str = "hatch-stage"
    #: lifetime of a token minted by trusted publishing
    minted_lifetime: int = 15 * 60
    #: a blob unreferenced for this long may be deleted
    gc_grace: int = 60
    #: a session stuck in ``processing`` this long was interrupted (killed during promotion)
    processing_timeout: int = 30 * 60
    #: whether publishing needs the release digest the approver reviewed
    #: (``serve --accept-unbound-approvals`` turns it off for PEP 694 clients that send none)
    require_digest: bool = True
    #: how long a sign-in to the review page lasts (it is not extended by use)
    review_session_lifetime: int = 30 * 60
    #: built-in review rules the review page does not apply (``serve --disable-rule``)
    disabled_rules: tuple[str, ...] = ()
    #: the archive bounds staged files are read under: the client's defaults
    limits: ScanLimits = field(default_factory=ScanLimits)
    #: verify attestations against Sigstore's staging instance instead of production (for
    #: testing with attestations signed there; ``serve --sigstore-staging``)
    sigstore_staging: bool = False
    #: the registry's public URL (``--base-url``, else where it listens), for the links in
    #: notifications; None: notifications carry no links
    public_url: str | None = None
    #: 0: downloads stream through the registry; else they redirect to a URL of the object
    #: store valid this many seconds (``serve --redirect-downloads``)
    redirect_downloads: int = 0
    #: how long before ``expires-at`` the ``expiring`` notification goes out
    expiry_warning: int = 24 * 3600
    #: how long a webhook receiver may take to answer one delivery attempt
    webhook_timeout: float = 10.0
    #: attempts per delivery before it counts as failed
    webhook_attempts: int = 8
    #: the wait before the first retry; it doubles with every attempt (capped at an hour)
    webhook_backoff: float = 30.0
