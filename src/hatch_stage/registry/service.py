"""The stage registry's facade: one object that owns the storage and hands each operation to
its use case.

:class:`Registry` is what ``hatch-stage serve`` puts behind its routes, what ``hatch-stage
admin`` works on and what the embedded default uses in-process (``Registry.open()`` with no
arguments: a local data directory, no set-up). It holds no rules of its own: every method
delegates to a use-case module, and those work on a :class:`~.context.Context` (database,
blob store, settings, clock) and never see this class. The registry has one direction:

    HTTP routes (pep694, simple, legacy, oidc)  ->  Registry (this facade)
    ->  use cases (sessions, files, grouping, publishing, legacy_upload, trust, index,
        housekeeping, review, websessions)
    ->  rules and inspection (guards, history, inspecting, promotion, accounts, projects)
    ->  storage (records, schema, storage, blobs)

Every operation takes the :class:`~.views.Principal` making it and checks, on each call, that
it covers the session's project (PEP 694 authorizes per request).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx2

from . import (
    delivery,
    files,
    grouping,
    health,
    housekeeping,
    index,
    leases,
    legacy_upload,
    publishing,
    review,
    sealing,
    sessions,
    storage,
    webhooks,
    websessions,
)
from .accounts import Accounts
from .blobs import BlobStore, Readable
from .context import Context
from .delivery import Claimed
from .projects import Projects
from .review import Review
from .sealing import Sealer
from .settings import RegistrySettings
from .storage import Database
from .trust import Minted, TrustedPublishing
from .views import Approval, FileView, GroupView, Principal, Provenance, ReleasedFile, SessionView
from .webhooks import Delivery, Webhook
from .websessions import WebSession

__all__ = ["Approval", "Registry", "RegistrySettings"]


class Registry:
    """A stage registry over a database and a blob store."""

    def __init__(self, db: Database, blobs: BlobStore,
                 settings: RegistrySettings | None = None, *, location: str = "",
                 sealer: Sealer | None = None) -> None:
        self.context = Context(db, blobs, settings or RegistrySettings(), sealer)
        #: where the data lives, for messages (data directory or database URL, no password)
        self.location = location or db.describe()
        self.trust = TrustedPublishing(self.context)

    @classmethod
    def open(cls, data_dir: str | Path | None = None, database_url: str | None = None,
             settings: RegistrySettings | None = None, blobs: str | None = None) -> Registry:
        """Open (creating or migrating as needed) the registry in ``data_dir`` (default:
        :func:`~.storage.default_data_dir`); ``database_url`` moves the tables to PostgreSQL,
        ``blobs`` (``s3://BUCKET/PREFIX`` or a directory) the files out of ``DATA/blobs``."""
        data = storage.private_directory(
            Path(data_dir).expanduser() if data_dir else storage.default_data_dir())
        store = storage.open_store(blobs, data)
        db = Database(storage.database_url(data, database_url))
        db.migrate()
        sealer = Sealer.from_environment()
        try:
            sealing.check_readable(db, sealer)
        except BaseException:
            db.close()
            raise
        location = db.describe() if database_url else str(data.resolve())
        return cls(db, store, settings, location=location, sealer=sealer)

    def close(self) -> None:
        self.context.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # what the context holds, for admin commands and routes ------------------------------

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def blobs(self) -> BlobStore:
        return self.context.blobs

    @property
    def settings(self) -> RegistrySettings:
        return self.context.settings

    @property
    def accounts(self) -> Accounts:
        return self.context.accounts

    @property
    def projects(self) -> Projects:
        return self.context.projects

    @property
    def clock(self) -> Callable[[], float]:
        """The time source; tests replace it to move through expiry and OTP steps."""
        return self.context.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.context.clock = clock

    def now(self) -> int:
        return self.context.now()

    # sessions (see .sessions) -----------------------------------------------------------

    def create_session(self, principal: Principal, name: str, version: str) -> SessionView:
        return sessions.create(self.context, principal, name, version)

    def session(self, principal: Principal, session_id: str) -> SessionView:
        return sessions.get(self.context, principal, session_id)

    def sessions(self, principal: Principal, *, project: str | None = None,
                 status: str | None = None, page: int = 0,
                 per_page: int = 100) -> tuple[list[SessionView], int]:
        return sessions.listing(self.context, principal, project=project, status=status,
                                page=page, per_page=per_page)

    def extend(self, principal: Principal, session_id: str, seconds: Any) -> SessionView:
        return sessions.extend(self.context, principal, session_id, seconds)

    # groups (see .grouping) ------------------------------------------------------------

    def create_group(self, principal: Principal, session_ids: Any) -> tuple[GroupView, bool]:
        """Group sessions in the order to decide them; the group, and whether it is new."""
        return grouping.create(self.context, principal, session_ids)

    def group(self, principal: Principal, group_id: str) -> GroupView:
        return grouping.get(self.context, principal, group_id)

    def groups(self, principal: Principal, *, status: str | None = None, page: int = 0,
               per_page: int = 100) -> tuple[list[GroupView], int]:
        return grouping.listing(self.context, principal, status=status, page=page,
                                per_page=per_page)

    # files (see .files) -----------------------------------------------------------------

    def start_file(self, principal: Principal, session_id: str, filename: str, size: Any,
                   hashes: Any, mechanism: str = "http-post-bytes") -> FileView:
        return files.start(self.context, principal, session_id, filename, size, hashes,
                           mechanism)

    def file(self, principal: Principal, session_id: str, file_id: str) -> FileView:
        return files.get(self.context, principal, session_id, file_id)

    def receive_file(self, principal: Principal, session_id: str, file_id: str,
                     stream: Readable) -> FileView:
        return files.receive(self.context, principal, session_id, file_id, stream)

    def add_attestations(self, principal: Principal, session_id: str, file_id: str,
                         attestations: Any) -> FileView:
        return files.attest(self.context, principal, session_id, file_id, attestations)

    def complete_file(self, principal: Principal, session_id: str, file_id: str) -> FileView:
        return files.complete(self.context, principal, session_id, file_id)

    def delete_file(self, principal: Principal, session_id: str, file_id: str) -> None:
        files.delete(self.context, principal, session_id, file_id)

    # decisions (see .publishing) --------------------------------------------------------

    def publish(self, principal: Principal, session_id: str, otp: str | None,
                digest: str | None = None, *, allow_secrets: bool = False) -> SessionView:
        """Approve: publish exactly the release with ``digest`` (maintain token + fresh OTP)."""
        return publishing.publish(self.context, principal, session_id, otp, digest,
                                  allow_secrets=allow_secrets)

    def cancel(self, principal: Principal, session_id: str, otp: str | None) -> SessionView:
        """Reject: discard the session and its files (maintain token + fresh OTP)."""
        return publishing.cancel(self.context, principal, session_id, otp)

    def decide_many(self, principal: Principal, action: str, approvals: Sequence[Approval],
                    otp: str | None, *, allow_secrets: bool = False) -> list[SessionView]:
        """Publish or cancel several sessions under one code: all of them, or none."""
        return publishing.decide(self.context, principal, action, approvals, otp,
                                 allow_secrets=allow_secrets)

    # the review page (see .review, .websessions) ----------------------------------------

    def sign_in(self, token: str, otp: str) -> WebSession:
        """Open a sign-in to the review page (a maintain token and a fresh one-time password)."""
        return websessions.sign_in(self.context, token, otp)

    def signed_in(self, cookie: str) -> WebSession:
        return websessions.signed_in(self.context, cookie)

    def sign_out(self, cookie: str) -> None:
        websessions.sign_out(self.context, cookie)

    def decidable(self, principal: Principal) -> tuple[list[SessionView], int]:
        """Staged releases the principal may approve or reject, newest first; and the count."""
        return review.decidable(self.context, principal)

    def review(self, principal: Principal, session_id: str) -> Review:
        """One session with its description and its diff against the published release."""
        return review.review(self.context, principal, session_id)

    # legacy uploads, trusted publishing, housekeeping ------------------------------------

    def legacy_upload(self, principal: Principal, **upload: Any) -> tuple[str, SessionView | None]:
        """A twine/hatch upload: staged or published directly (see :mod:`.legacy_upload`)."""
        return legacy_upload.upload(self.context, principal, **upload)

    def mint(self, jwt: str) -> Minted:
        """Exchange a trusted publisher's OIDC token for a short-lived stage token."""
        return self.trust.mint(jwt)

    def seal_secrets(self) -> int:
        """Seal the stored TOTP secrets and upstream tokens with the first key of
        ``HATCH_STAGE_SECRET_KEY`` (see :mod:`.sealing`); how many changed."""
        return sealing.seal_all(self.db, self.context.sealer)

    def maintenance(self) -> dict[str, int]:
        """Expire old sessions, fail interrupted publishes, sweep dead uploads and blobs."""
        return housekeeping.maintenance(self.context)

    def sweep(self) -> dict[str, int]:
        """Cancel expired sessions and send the ``expiring`` warnings (every minute)."""
        return housekeeping.sweep(self.context)

    def take_lease(self, name: str, holder: str, seconds: int) -> bool:
        """Whether ``holder`` holds the background job ``name`` (see :mod:`.leases`)."""
        return leases.take(self.context, name, holder, seconds)

    def health(self) -> dict[str, dict[str, Any]]:
        """Whether the database and the blob store answer (``GET /_/health``)."""
        return health.check(self.context)

    # notifications (see .webhooks, .delivery) -------------------------------------------

    def add_webhook(self, project: str, url: str, events: list[str] | None = None,
                    secret: str | None = None) -> tuple[Webhook, str]:
        return webhooks.add(self.context, project, url, events, secret)

    def webhooks(self, project: str | None = None) -> list[Webhook]:
        return webhooks.listing(self.context, project)

    def remove_webhook(self, webhook_id: int) -> None:
        webhooks.remove(self.context, webhook_id)

    def webhook_deliveries(self, webhook_id: int | None = None,
                           limit: int = 50) -> list[Delivery]:
        return webhooks.deliveries(self.context, webhook_id, limit)

    def claim_deliveries(self, holder: str, limit: int) -> list[Claimed]:
        """Take up to ``limit`` due webhook deliveries for the worker ``holder``."""
        return delivery.claim(self.context, holder, limit)

    def deliver(self, client: httpx2.Client, holder: str, item: Claimed) -> None:
        """Send one claimed delivery and log the attempt (retries are scheduled)."""
        delivery.attempt(self.context, client, holder, item)

    def collect_garbage(self, digests: Iterable[str] | None = None) -> int:
        return housekeeping.collect_garbage(self.context, digests)

    # what installers see (see .index) ---------------------------------------------------

    def stage_session(self, token: str) -> SessionView:
        """The session behind a stage preview token."""
        return index.stage_session(self.context, token)

    def published_projects(self, also: SessionView | None = None) -> list[str]:
        return index.projects(self.context, also)

    def released_files(self, project: str) -> list[ReleasedFile]:
        return index.released_files(self.context, project)

    def released_file(self, filename: str) -> ReleasedFile:
        return index.released_file(self.context, filename)

    def display_name(self, project: str) -> str | None:
        return index.display_name(self.context, project)

    def provenance(self, project: str, version: str, filename: str,
                   stage_token: str | None = None) -> Provenance:
        """A file's verified provenance (the Integrity API; with ``stage_token``, as that
        stage preview shows it). ``.object()`` is the PEP 740 provenance object;
        ``.signed_by`` who signed it (what a review page shows)."""
        return index.provenance(self.context, project, version, filename, stage_token)
